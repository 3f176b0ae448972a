"""``mlkg import-profile`` and ``mlkg optimize`` end to end (CliRunner over a real store), and
``POST /api/optimize`` on the server app (Flask test client, real worker pool and snapshot)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlkg.cli import cli
from mlkg.config import resolve_settings

ZOO_CSV = """,person,car,bus,cost,memory
det_small,0.70,0.60,0.50,10,50
det_large,0.90,0.85,0.80,60,400
car_expert,,0.95,,25,100
bus_expert,,,0.92,20,80
"""
TRUTH_CSV = "id,label,label\nimg1,person,car\nimg2,person,\nimg3,bus,\nimg4,,\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("optimizer-cli")
    (folder / "tiny.csv").write_text(ZOO_CSV)
    (folder / "truth.csv").write_text(TRUTH_CSV)
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir", str(folder / "data"), "import-profile", str(folder / "tiny.csv"),
            "--metric", "f1", "--dataset", "coco", "--ground-truth", str(folder / "truth.csv"),
            "--cost-unit", "ms per image", "--hardware", "T4", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["models"] == 4 and report["instances"] == 4
    assert report["records_quarantined"] == 0
    return folder / "data"


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "optimize", *args])


def test_optimize_json_has_the_contract_keys_and_values(data_dir):
    result = run(data_dir, "(person & car) | bus", "--metric", "f1", "--max-cost", "45", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    for key in ("feasible", "optimal", "accuracy", "cost", "assignment", "order"):
        assert key in plan
    # within 45 (by hand): det_small alone 0.71; + car_expert (35) 0.8325; + bus_expert (30)
    # 1 − (1 − 0.7·0.6)(1 − 0.92) = 0.9536; all three cost 55
    assert plan["feasible"] is True and plan["optimal"] is True
    assert plan["assignment"] == {"person": "det_small", "car": "det_small", "bus": "bus_expert"}
    assert plan["accuracy"] == pytest.approx(1 - (1 - 0.70 * 0.60) * (1 - 0.92))
    assert plan["cost"] == 30.0 and plan["cost_model"] == "selection"
    assert plan["order"] == ["person", "car", "bus"]
    assert plan["cost_unit"] == "ms per image"


def test_optimize_order_aware_uses_sparql_selectivities(data_dir):
    result = run(
        data_dir, "(person & car) | bus", "--metric", "f1", "--max-cost", "45", "--order", "--json"
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["cost_model"] == "order" and plan["optimal"]
    assert plan["selectivity_source"].startswith("computed from 4 data instances")
    assert sorted(plan["order"]) == ["bus", "car", "person"]
    assert plan["steps"][0]["fraction"] == 1.0
    assert plan["cost"] <= 45 and plan["accuracy"] >= 0.9536 - 1e-9  # ≥ the selection plan


def test_optimize_text_output_shows_steps_and_proof(data_dir):
    result = run(data_dir, "person & car", "--metric", "f1", "--min-accuracy", "0.8", "--order")
    assert result.exit_code == 0, result.output
    assert "proven optimal" in result.stdout and "items=" in result.stdout
    assert "min cost then max accuracy" in result.stdout


def test_infeasible_bound_prints_why_and_exits_1(data_dir):
    result = run(data_dir, "person & car", "--metric", "f1", "--max-cost", "5", "--json")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert plan["feasible"] is False and plan["optimal"] is True
    assert "cheapest plan costs 10.0000" in plan["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["a & b", "--max-cost", "1", "--min-accuracy", "0.5"],
            "--max-cost and --min-accuracy conflict",
        ),
        (["a", "--weights", "loss=1"], "--weights needs --objective"),
        (["a", "--priority", "loss"], "--priority needs --objective lexicographic"),
        (["a", "--solver", "greedy"], "--solver greedy needs"),
        (["a", "--min-accuracy", "2"], "must be in [0, 1]"),
    ],
)
def test_conflicting_options_are_usage_errors(data_dir, args, message):
    result = run(data_dir, *args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["(person & car", "--metric", "f1"], "missing ')'"),
        (["persn & car", "--metric", "f1"], "did you mean person"),
        (["person & car", "--metric", "ap"], "no candidate models"),
        (
            ["(person & car) | (person & bus)", "--metric", "f1", "--order"],
            "each label occurs once",
        ),
    ],
)
def test_bad_input_is_a_clear_error(data_dir, args, error):
    result = run(data_dir, *args)
    assert result.exit_code == 1
    assert error in str(result.exception)


def test_greedy_solver_and_multi_objective(data_dir):
    greedy = json.loads(
        run(
            data_dir,
            "person & car",
            "--metric",
            "f1",
            "--max-cost",
            "45",
            "--solver",
            "greedy",
            "--json",
        ).stdout
    )
    exact = json.loads(
        run(data_dir, "person & car", "--metric", "f1", "--max-cost", "45", "--json").stdout
    )
    assert greedy["solver"].startswith("greedy") and greedy["optimal"] is False
    assert exact["accuracy"] >= greedy["accuracy"]
    weighted = run(
        data_dir, "person & car", "--metric", "f1", "--objective", "weighted-sum",
        "--weights", "loss=1,cost=1,memory=1", "--json",
    )  # fmt: skip
    plan = json.loads(weighted.stdout)
    assert plan["optimal"] and plan["objective"].startswith("weighted-sum")
    assert plan["memory"] is not None


def test_main_entry_point_exits_1_when_no_plan_meets_the_bound(data_dir, capsys, monkeypatch):
    from mlkg.cli import main

    argv = ["mlkg", "--data-dir", str(data_dir), "optimize", "person", "--metric", "f1"]
    monkeypatch.setattr("sys.argv", [*argv, "--max-cost", "1", "--json"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 1
    assert json.loads(capsys.readouterr().out)["feasible"] is False
    monkeypatch.setattr("sys.argv", [*argv, "--max-cost", "100", "--json"])
    main()  # a plan: returns normally (exit status 0)
    assert json.loads(capsys.readouterr().out)["feasible"] is True


def test_main_entry_point_maps_errors_to_one_line(data_dir, capsys, monkeypatch):
    from mlkg.cli import main

    monkeypatch.setattr(
        "sys.argv", ["mlkg", "--data-dir", str(data_dir), "optimize", "persn", "--metric", "f1"]
    )
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("Error: no candidate model answers label(s) persn")
        and "Traceback" not in err
    )


# -- the server route ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(data_dir):
    from mlkg.server.app import close_app, create_app
    from mlkg.server.settings import resolve_server_settings

    app = create_app(
        resolve_settings(environ={}, data_dir=data_dir),
        limits=resolve_server_settings({}, workers=1, query_timeout=60),
    )
    yield app.test_client()
    close_app(app)


def test_api_optimize_answers_the_plan(client):
    response = client.post(
        "/api/optimize", json={"query": "(person & car) | bus", "metric": "f1", "max_cost": 45}
    )
    assert response.status_code == 200, response.data
    plan = response.get_json()
    assert plan["feasible"] and plan["optimal"]
    assert plan["assignment"] == {"person": "det_small", "car": "det_small", "bus": "bus_expert"}
    ordered = client.post(
        "/api/optimize",
        json={"query": "person & car", "metric": "f1", "max_cost": 45, "order": True},
    ).get_json()
    assert ordered["cost_model"] == "order" and ordered["selectivity_source"].startswith("computed")


def test_api_optimize_infeasible_is_200_with_a_message(client):
    plan = client.post(
        "/api/optimize", json={"query": "person", "metric": "f1", "max_cost": 1}
    ).get_json()
    assert plan["feasible"] is False and "cheapest plan costs 10.0000" in plan["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "(person", "metric": "f1"}, "missing ')'"),
        ({"query": "persn", "metric": "f1"}, "did you mean person"),
        ({"query": "person", "max_cost": 1, "min_accuracy": 0.5}, "conflict"),
        ({"query": "person", "max_cost": "cheap"}, "must be int or float"),
        ({"query": "person", "order": "yes"}, "must be bool"),
        ({"query": "person", "colour": "red"}, "unknown field"),
        ({"max_cost": 3}, "needs 'query'"),
        ({"query": "person", "metric": "f1", "node_limit": 10**9}, "node_limit"),
        ([1, 2], "JSON object"),
    ],
)
def test_api_optimize_bad_input_is_400(client, body, message):
    response = client.post("/api/optimize", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["ok"] is False and message in error["error"]


def post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_api_optimize_on_a_running_server(data_dir):
    """The same route over HTTP on a real ``mlkg serve``: a plan, an infeasible bound (200,
    feasible false) and bad input (400 with a JSON message)."""
    from mlkg.server.testing import LiveServer

    with LiveServer(data_dir, options=["--workers", "1"]) as server:
        url = f"{server.url}/api/optimize"
        status, plan = post(url, {"query": "(person & car) | bus", "metric": "f1", "max_cost": 45})
        assert status == 200 and plan["feasible"] and plan["optimal"]
        assert plan["assignment"] == {
            "person": "det_small",
            "car": "det_small",
            "bus": "bus_expert",
        }
        assert plan["cost"] == 30.0
        status, plan = post(url, {"query": "person", "metric": "f1", "max_cost": 1})
        assert status == 200 and plan["feasible"] is False and plan["accuracy"] is None
        for body, message in (
            ({"query": "persn", "metric": "f1"}, "did you mean person"),
            ({"query": "person &", "metric": "f1"}, "formula ended"),
            ({"query": "person", "metric": "f1", "min_accuracy": 2}, "[0, 1]"),
            ({"query": "person", "metric": "ap"}, "no candidate models"),  # empty zoo for AP
            ("not an object", "JSON object"),
        ):
            status, error = post(url, body)
            assert status == 400 and error["ok"] is False and message in error["error"]
