"""Run SageMaker processing-job requests on this machine.

A ``CreateProcessingJob``-shaped request is run the way its container would run it: its S3 inputs are staged
into local directories through a boto3 S3 client (:mod:`.s3files`), the analysis engine is called on them
(:mod:`.engine`), and its outputs are uploaded to the request's S3 output (:mod:`.job_runner`). No Airflow, no
network beyond the S3 client it is given; ``airflow_mm_provider.analysis`` (numpy) loads on first use.

Used by ``mm-local`` (``airflow_mm_provider.local``) to run its processing jobs, and by the self-hosted runner
(``airflow_mm_provider.runner``) to run the same requests on an Airflow worker.
"""
