from __future__ import annotations

import json

import pytest

from airflow_mm_provider.monitoring.violations import (
    ANALYSIS_FILE,
    CONSTRAINT_VIOLATIONS_FILE,
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    Violation,
    ViolationFilter,
    ViolationReport,
    baseline_files,
    readable_numbers,
    report_files,
)

DATA_QUALITY_VIOLATIONS = {
    "violations": [
        {
            "feature_name": "State_NV",
            "constraint_check_type": "data_type_check",
            "description": "Data type match requirement is not met. Expected data type: Integral, "
            "Expected match: 100.0%. Observed: Only 99.64592817400101% of data is Integral.",
        },
        {
            "feature_name": "Account Length",
            "constraint_check_type": "baseline_drift_check",
            "description": "Value: 0.4994994994994995 does not meet the constraint requirement! ",
        },
        {
            "feature_name": "State_NV",
            "constraint_check_type": "completeness_check",
            "description": "completeness dropped",
        },
    ]
}
MODEL_QUALITY_VIOLATIONS = {
    "violations": [
        {
            "constraint_check_type": "LessThanThreshold",
            "description": "Metric ep with -0.1 was LessThanThreshold -0.05",
            "metric_name": "ep",
        }
    ]
}
BIAS_VIOLATIONS = {
    "version": "1.0",
    "violations": [
        {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "CDDPL",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement "
            "0.28176563733194276",
        }
    ],
}
EXPLAINABILITY_VIOLATIONS = {
    "version": "1.0",
    "violations": [
        {
            "label": "label0",
            "metric_name": "shap",
            "constraint_check_type": "feature_attribution_drift_check",
            "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9",
        }
    ],
}


def _strict_json(value: object) -> str:
    return json.dumps(value, allow_nan=False)


class TestReportFiles:
    def test_violations_file_is_the_real_name_not_the_docs_typo(self):
        assert CONSTRAINT_VIOLATIONS_FILE == "constraint_violations.json"

    @pytest.mark.parametrize(
        ("monitoring_type", "expected"),
        [
            ("DataQuality", {CONSTRAINT_VIOLATIONS_FILE, STATISTICS_FILE, CONSTRAINTS_FILE}),
            ("ModelQuality", {CONSTRAINT_VIOLATIONS_FILE, STATISTICS_FILE}),
            ("ModelBias", {CONSTRAINT_VIOLATIONS_FILE, ANALYSIS_FILE}),
            ("ModelExplainability", {CONSTRAINT_VIOLATIONS_FILE, ANALYSIS_FILE}),
        ],
    )
    def test_report_files_per_type(self, monitoring_type, expected):
        files = report_files(monitoring_type)
        assert set(files) == expected
        assert files[0] == CONSTRAINT_VIOLATIONS_FILE

    def test_baseline_files_per_type(self):
        assert set(baseline_files("DataQuality")) == {STATISTICS_FILE, CONSTRAINTS_FILE}
        assert set(baseline_files("ModelQuality")) == {STATISTICS_FILE, CONSTRAINTS_FILE}
        assert baseline_files("ModelBias") == (ANALYSIS_FILE,)
        assert baseline_files("ModelExplainability") == (ANALYSIS_FILE,)

    @pytest.mark.parametrize("bad", ["dataquality", "Bias", ""])
    def test_unknown_monitoring_type_is_a_clear_value_error(self, bad):
        with pytest.raises(ValueError, match=r"monitoring_type: must be one of DataQuality, ModelQuality"):
            report_files(bad)
        with pytest.raises(ValueError, match="monitoring_type"):
            baseline_files(bad)


class TestViolation:
    def test_data_quality_subject_is_the_feature(self):
        report = ViolationReport.from_json("DataQuality", DATA_QUALITY_VIOLATIONS)
        first = report.violations[0]
        assert first.subject == "State_NV"
        assert first.feature_name == "State_NV"
        assert first.check_type == "data_type_check"
        assert first.metric_name is None and first.facet is None and first.label is None

    def test_model_quality_subject_is_the_metric(self):
        violation = ViolationReport.from_json("ModelQuality", MODEL_QUALITY_VIOLATIONS).violations[0]
        assert (violation.subject, violation.metric_name, violation.check_type) == (
            "ep",
            "ep",
            "LessThanThreshold",
        )

    def test_bias_subject_format(self):
        violation = ViolationReport.from_json("ModelBias", BIAS_VIOLATIONS).violations[0]
        assert violation.subject == "Sex=0:CDDPL"
        assert (violation.facet, violation.facet_value, violation.metric_name) == ("Sex", "0", "CDDPL")

    @pytest.mark.parametrize(
        ("item", "subject"),
        [
            ({"facet": "Sex", "metric_name": "CI"}, "Sex:CI"),
            ({"metric_name": "CI"}, "CI"),
            ({"facet": "Sex", "facet_value": 0}, "Sex=0"),
            ({}, ""),
        ],
    )
    def test_bias_subject_with_missing_parts(self, item, subject):
        assert Violation.from_json("ModelBias", item).subject == subject

    def test_explainability_subject_is_the_label(self):
        violation = ViolationReport.from_json("ModelExplainability", EXPLAINABILITY_VIOLATIONS).violations[0]
        assert (violation.subject, violation.label, violation.metric_name) == ("label0", "label0", "shap")

    def test_subject_falls_back_when_the_preferred_key_is_missing(self):
        assert Violation.from_json("DataQuality", {"metric_name": "m"}).subject == "m"
        assert Violation.from_json("ModelExplainability", {"metric_name": "shap"}).subject == "shap"
        assert Violation.from_json("ModelQuality", {}).subject == ""

    def test_unknown_keys_are_ignored_and_missing_ones_default(self):
        violation = Violation.from_json("DataQuality", {"feature_name": "f", "new_field": [1, 2]})
        assert violation.check_type == "" and violation.description == ""

    def test_to_dict_is_json_safe_and_complete(self):
        violation = Violation.from_json("ModelBias", BIAS_VIOLATIONS["violations"][0])
        data = json.loads(_strict_json(violation.to_dict()))
        assert data["subject"] == "Sex=0:CDDPL"
        assert data["monitoring_type"] == "ModelBias"
        assert data["label"] is None

    @pytest.mark.parametrize(
        ("monitoring_type", "document"),
        [
            ("DataQuality", DATA_QUALITY_VIOLATIONS),
            ("ModelQuality", MODEL_QUALITY_VIOLATIONS),
            ("ModelBias", BIAS_VIOLATIONS),
            ("ModelExplainability", EXPLAINABILITY_VIOLATIONS),
        ],
    )
    def test_report_to_json_round_trips_the_file(self, monitoring_type, document):
        report = ViolationReport.from_json(monitoring_type, document)
        assert report.to_json() == document
        assert ViolationReport.from_json(monitoring_type, json.dumps(report.to_json())) == report

    def test_create_derives_the_subject(self):
        violation = Violation.create(
            "ModelBias", "bias_drift_check", "d", facet="Age", facet_value="1", metric_name="DI"
        )
        assert violation.subject == "Age=1:DI"

    def test_unknown_monitoring_type_is_rejected(self):
        with pytest.raises(ValueError, match="monitoring_type: must be one of"):
            Violation.from_json("Quality", {})
        with pytest.raises(ValueError, match="monitoring_type: must be one of"):
            Violation("Quality", "c", "s")

    def test_item_must_be_an_object(self):
        with pytest.raises(ValueError, match=r"violations\[1\]: violation must be a JSON object"):
            ViolationReport.from_json("DataQuality", {"violations": [{}, "oops"]})


class TestViolationReport:
    def test_counts(self):
        report = ViolationReport.from_json("DataQuality", json.dumps(DATA_QUALITY_VIOLATIONS))
        assert report.count == len(report) == 3
        assert report.has_violations
        assert report.version is None
        assert report.by_check_type() == {
            "baseline_drift_check": 1,
            "completeness_check": 1,
            "data_type_check": 1,
        }
        assert report.by_subject() == {"State_NV": 2, "Account Length": 1}
        assert list(report.by_subject()) == ["State_NV", "Account Length"]

    def test_reads_bytes_and_keeps_the_clarify_version(self):
        report = ViolationReport.from_json("ModelBias", json.dumps(BIAS_VIOLATIONS).encode())
        assert report.version == "1.0"
        assert report.count == 1

    @pytest.mark.parametrize("document", [{"violations": []}, {}, {"violations": None}, {"version": "1.0"}])
    def test_empty_or_missing_violations_list(self, document):
        report = ViolationReport.from_json("ModelQuality", document)
        assert not report.has_violations
        assert report.count == 0
        assert report.by_check_type() == {} and report.by_subject() == {}

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({}, r"violations must be a non-empty list \(the key is missing\)"),
            ({"violations": None}, r"violations must be a non-empty list \(got None\)"),
            ({"violations": []}, r"violations must be a non-empty list \(got \[\]\)"),
            (
                {"version": "1.0", "violations": [{}]},
                r"violations\[0\]: violation must name its constraint_check_type",
            ),
            (
                {"violations": [DATA_QUALITY_VIOLATIONS["violations"][0], {"feature_name": "f"}]},
                r"violations\[1\]: violation must name its constraint_check_type",
            ),
        ],
    )
    def test_required_violations_must_be_listed_and_name_their_check(self, document, message):
        with pytest.raises(ValueError, match=message):
            ViolationReport.from_json("DataQuality", document, require_violations=True)

    def test_required_violations_read_a_real_report(self):
        report = ViolationReport.from_json("DataQuality", DATA_QUALITY_VIOLATIONS, require_violations=True)
        assert report.count == 3

    def test_empty_report_for_runs_without_a_violations_file(self):
        report = ViolationReport.empty("ModelExplainability")
        assert report.monitoring_type == "ModelExplainability"
        assert report.count == 0 and not report.has_violations
        assert report.summary() == {
            "monitoring_type": "ModelExplainability",
            "count": 0,
            "by_check_type": {},
            "by_subject": {},
            "violations": [],
        }
        assert report.to_table() == "No violations."
        assert report.to_json() == {"violations": []}

    def test_empty_with_unknown_type_fails(self):
        with pytest.raises(ValueError, match="got 'Unknown'"):
            ViolationReport.empty("Unknown")

    def test_malformed_documents(self):
        with pytest.raises(ValueError, match="violations must be a list"):
            ViolationReport.from_json("DataQuality", {"violations": {"a": 1}})
        with pytest.raises(ValueError, match="not valid JSON"):
            ViolationReport.from_json("DataQuality", "not json")
        with pytest.raises(ValueError, match="monitoring_type"):
            ViolationReport.from_json("Drift", DATA_QUALITY_VIOLATIONS)

    def test_violations_must_share_the_report_type(self):
        violation = Violation.create("ModelBias", "bias_drift_check", metric_name="CI")
        with pytest.raises(ValueError, match="ModelBias violation cannot be in a DataQuality report"):
            ViolationReport("DataQuality", (violation,))

    def test_summary_is_strict_json(self):
        report = ViolationReport.from_json("DataQuality", DATA_QUALITY_VIOLATIONS)
        summary = json.loads(_strict_json(report.summary()))
        assert summary["monitoring_type"] == "DataQuality"
        assert summary["count"] == 3
        assert summary["by_subject"] == {"State_NV": 2, "Account Length": 1}
        assert [v["subject"] for v in summary["violations"]] == ["State_NV", "Account Length", "State_NV"]

    def test_table_wraps_full_descriptions_under_their_column_with_rounded_numbers(self):
        report = ViolationReport.from_json("DataQuality", DATA_QUALITY_VIOLATIONS)
        lines = report.to_table(description_width=30).splitlines()
        assert lines[0].split() == ["CHECK", "TYPE", "SUBJECT", "DESCRIPTION"]
        assert set(lines[1]) == {"-", " "}
        assert lines[2].startswith("data_type_check") and "State_NV" in lines[2]
        column = lines[0].index("DESCRIPTION")
        # every word of every description is shown, in order, within the column, numbers rounded
        shown = " ".join(line[column:].strip() for line in lines[2:] if line[column:].strip())
        expected = " ".join(readable_numbers(v.description) for v in report.violations)
        assert shown.split() == expected.split()
        assert "99.65% of data is Integral." in shown and "Value: 0.4995 does not meet" in shown
        assert all(len(line[column:]) <= 30 for line in lines[2:])
        # continuation lines are blank left of the description column; subjects line up
        rows = [line for line in lines[2:] if line[:column].strip()]
        assert len(rows) == 3 and len(lines) > 2 + len(rows)
        offset = lines[0].index("SUBJECT")
        assert all(line[offset:].startswith(("State_NV", "Account Length")) for line in rows)

    def test_a_bias_row_keeps_its_baseline_threshold(self):
        description = (
            "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement "
            "0.28176563733194276"
        )
        item = {**BIAS_VIOLATIONS["violations"][0], "description": description}
        table = ViolationReport.from_json("ModelBias", {"violations": [item]}).to_table()
        assert table.splitlines()[2].endswith(
            "Metric value 0.3749 doesn't meet the baseline constraint requirement 0.2818"
        )

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("value 0.28176563733194276", "value 0.2818"),
            ("Only 99.64592817400101% of data", "Only 99.65% of data"),
            ("-0.15156641604010024 and 1.23456789e-05", "-0.1516 and 1.235e-05"),
            ("big 123456.789 stays whole", "big 123457 stays whole"),
            ("short 0.5, 100.0% and 42 stay", "short 0.5, 100.0% and 42 stay"),
            ("versions 1.2.3 and v1.234567 stay", "versions 1.2.3 and v1.234567 stay"),
            ("ends 0.123456.", "ends 0.1235."),
        ],
    )
    def test_readable_numbers_rounds_long_decimals_only(self, text, expected):
        assert readable_numbers(text) == expected

    def test_table_is_cut_after_max_rows(self):
        items = [{"feature_name": f"f{i}", "constraint_check_type": "completeness_check"} for i in range(7)]
        table = ViolationReport.from_json("DataQuality", {"violations": items}).to_table(max_rows=5)
        lines = table.splitlines()
        assert lines[-1] == "... and 2 more"
        assert len(lines) == 2 + 5 + 1

    def test_table_shows_a_dash_for_an_empty_subject(self):
        table = ViolationReport.from_json(
            "DataQuality", {"violations": [{"constraint_check_type": "x"}]}
        ).to_table()
        assert table.splitlines()[2].split() == ["x", "-"]

    def test_table_rejects_bad_sizes(self):
        report = ViolationReport.empty("DataQuality")
        with pytest.raises(ValueError, match="max_rows"):
            report.to_table(max_rows=0)
        with pytest.raises(ValueError, match="description_width"):
            report.to_table(description_width=3)
        with pytest.raises(ValueError, match="digits"):
            report.to_table(digits=0)


class TestViolationFilter:
    @pytest.fixture
    def report(self) -> ViolationReport:
        return ViolationReport.from_json("DataQuality", DATA_QUALITY_VIOLATIONS)

    def test_no_criteria_keeps_everything(self, report):
        assert ViolationFilter().apply(report) == report

    def test_by_check_type(self, report):
        kept = report.filter(
            ViolationFilter(check_types=frozenset({"data_type_check", "completeness_check"}))
        )
        assert [v.check_type for v in kept.violations] == ["data_type_check", "completeness_check"]
        assert kept.monitoring_type == "DataQuality"

    def test_by_subject_and_single_string(self, report):
        kept = ViolationFilter(subjects="Account Length").apply(report)
        assert [v.feature_name for v in kept.violations] == ["Account Length"]

    def test_criteria_combine_with_and(self, report):
        flt = ViolationFilter(check_types=["completeness_check"], subjects=["State_NV"])
        assert flt.apply(report).count == 1
        assert (
            ViolationFilter(check_types=["completeness_check"], subjects=["Account Length"])
            .apply(report)
            .count
            == 0
        )

    def test_subjects_match_metric_names(self):
        report = ViolationReport.from_json("ModelQuality", MODEL_QUALITY_VIOLATIONS)
        assert ViolationFilter(subjects={"ep"}).counts(report)
        assert not ViolationFilter(subjects={"f2"}).counts(report)

    def test_facets_match_facet_or_facet_value(self):
        report = ViolationReport.from_json("ModelBias", BIAS_VIOLATIONS)
        assert ViolationFilter(facets={"Sex"}).apply(report).count == 1
        assert ViolationFilter(facets={"Sex=0"}).apply(report).count == 1
        assert ViolationFilter(facets={"Sex=1"}).apply(report).count == 0
        assert ViolationFilter(subjects={"CDDPL"}).apply(report).count == 1

    def test_labels(self):
        report = ViolationReport.from_json("ModelExplainability", EXPLAINABILITY_VIOLATIONS)
        assert ViolationFilter(labels={"label0"}).counts(report)
        assert not ViolationFilter(labels={"label1"}).counts(report)

    def test_min_count(self, report):
        assert ViolationFilter(subjects={"State_NV"}, min_count=2).counts(report)
        assert not ViolationFilter(subjects={"State_NV"}, min_count=3).counts(report)
        assert not ViolationFilter().counts(ViolationReport.empty("DataQuality"))

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
    def test_min_count_is_validated(self, bad):
        with pytest.raises(ValueError, match="min_count"):
            ViolationFilter(min_count=bad)

    @pytest.mark.parametrize(
        ("kwargs", "name"),
        [
            ({"check_types": [1]}, "check_types"),
            ({"subjects": []}, "subjects"),
            ({"facets": 3}, "facets"),
            ({"labels": {"a": "b"}}, "labels"),
        ],
    )
    def test_names_are_validated(self, kwargs, name):
        with pytest.raises(ValueError, match=f"^{name} must"):
            ViolationFilter(**kwargs)

    def test_names_are_normalised_to_frozensets(self):
        flt = ViolationFilter(check_types=["a", "b"], labels="x")
        assert flt.check_types == frozenset({"a", "b"})
        assert flt.labels == frozenset({"x"})
        assert flt.subjects is None
