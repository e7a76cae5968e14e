"""Clustering metrics on known answers, and the `eval clustering` harness end to end."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.evaluation.metrics import clustering_accuracy, clustering_scores, contingency


def test_accuracy_is_invariant_to_cluster_names():
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert clustering_accuracy(truth, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    scores = clustering_scores(truth, np.array([2, 2, 0, 0, 1, 1]))
    assert (scores.acc, scores.nmi, scores.ari) == (1.0, 1.0, 1.0)


def test_accuracy_uses_the_best_one_to_one_matching():
    truth = np.array([0, 0, 0, 1, 1, 1])
    predicted = np.array([1, 1, 0, 0, 0, 0])
    # matching cluster 1 -> class 0 (2 right) and cluster 0 -> class 1 (3 right): 5/6
    assert clustering_accuracy(truth, predicted) == pytest.approx(5 / 6)


def test_accuracy_counts_extra_clusters_and_noise_as_wrong():
    truth = np.array([0, 0, 1, 1])
    assert clustering_accuracy(truth, np.array([0, 1, 2, 3])) == pytest.approx(0.5)  # 4 clusters, 2 classes
    assert clustering_accuracy(truth, np.array([-1, 0, 1, 1])) == pytest.approx(0.75)  # noise point is wrong
    assert clustering_accuracy(truth, np.array([0, 0, 0, 0])) == pytest.approx(0.5)  # one cluster


def test_nmi_and_ari_on_known_answers():
    truth = np.array([0, 0, 1, 1])
    independent = clustering_scores(truth, np.array([0, 1, 0, 1]))
    assert independent.nmi == pytest.approx(0.0, abs=1e-12)
    assert independent.ari == pytest.approx(-0.5)  # worse than chance on this tiny case
    # 3 of 4 right: contingency [[2, 0], [1, 1]] gives ARI 0 by Hubert-Arabie's formula
    partial = clustering_scores(truth, np.array([0, 0, 0, 1]))
    assert partial.acc == pytest.approx(0.75)
    assert partial.ari == pytest.approx(0.0, abs=1e-12)


def test_contingency_counts_clusters_by_class():
    table = contingency(np.array([0, 0, 1, 2]), np.array([7, 7, 7, -1]))
    assert table.tolist() == [[0, 0, 1], [2, 1, 0]]  # rows: clusters -1, 7; columns: classes


# ---- the harness --------------------------------------------------------------------------------

torch = pytest.importorskip("torch")

TINY_SIDE = 56


@pytest.fixture(scope="module")
def labelled_folder(tmp_path_factory):
    from photo_organizer.sample_photos import make_labelled_folder

    folder = tmp_path_factory.mktemp("labelled")
    make_labelled_folder(folder, per_class=5, size=(80, 60), classes=["beach", "forest", "night"])
    (folder / "night" / "broken.jpg").write_bytes(b"")  # unreadable: skipped, reported
    (folder / "notes.txt").write_text("not a class")  # a file beside the classes is ignored
    return folder


class TinyDinoFactory:
    """DinoEncoders on a 2-block DINOv2 at 56 px, same random weights for every build."""

    def __init__(self):
        from dataclasses import replace

        from photo_organizer.models.registry import get_spec
        from photo_organizer.models.torch_compat import import_torch

        import_torch()
        import timm

        self.spec = replace(get_spec("vit_small_patch14_dinov2"), input_size=TINY_SIDE)
        torch.manual_seed(0)
        self.state = timm.create_model(
            self.spec.architecture, pretrained=False, depth=2, img_size=TINY_SIDE, num_classes=0
        ).state_dict()
        self.calls = []

    def __call__(self, settings):
        import timm

        from photo_organizer.models.dino import DinoEncoder

        self.calls.append(settings)
        model = timm.create_model(self.spec.architecture, pretrained=False, depth=2, img_size=TINY_SIDE, num_classes=0)
        model.load_state_dict(self.state)
        return DinoEncoder(self.spec, model.eval(), "tiny", torch.device("cpu"), torch.float32, settings)


def test_labelled_folder_reads_classes_and_limits(labelled_folder):
    from photo_organizer.errors import DatasetError
    from photo_organizer.evaluation.datasets import read_labelled_folder

    dataset = read_labelled_folder(labelled_folder, limit_per_class=2)
    assert dataset.class_names == ["beach", "forest", "night"]
    assert dataset.labels.tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(DatasetError):
        read_labelled_folder(labelled_folder / "beach")  # images but no class folders


def test_harness_with_threshold_from_the_folder(labelled_folder):
    from photo_organizer.evaluation.clustering import evaluate_clustering_job, kmeans_labels
    from photo_organizer.evaluation.datasets import read_labelled_folder
    from photo_organizer.progress import drain

    dataset = read_labelled_folder(labelled_folder)
    factory = TinyDinoFactory()
    evaluation = drain(evaluate_clustering_job(dataset, factory, seeds=2, batch_size=4))
    assert evaluation.images == 15 and len(evaluation.unreadable) == 1
    assert evaluation.unreadable[0][0].endswith("broken.jpg")
    assert evaluation.valley is not None and evaluation.threshold_origin == "this folder's valley"
    assert len(evaluation.baseline.kmeans) == 2
    for variant in (evaluation.baseline, evaluation.with_itae):
        for scores in [*variant.kmeans, variant.hdbscan]:
            assert 1 / 3 <= scores.acc <= 1 and 0 <= scores.nmi <= 1 and -1 <= scores.ari <= 1
    if not evaluation.itae.active:  # random weights: usually no artifact mode; ITAE is then a no-op
        assert evaluation.with_itae is evaluation.baseline and len(factory.calls) == 1
    # the reported k-means scores are those of the features the product encoder gives
    encoder = factory(factory.calls[0])
    readable = [path for path in dataset.paths if path.name != "broken.jpg"]
    from photo_organizer.imaging import load_rgb

    features = encoder.encode_images(torch.stack([encoder.preprocess(load_rgb(p)) for p in readable]))
    labels = kmeans_labels(features, 3, seed=1)
    truth = dataset.labels[[i for i, p in enumerate(dataset.paths) if p.name != "broken.jpg"]]
    assert clustering_scores(truth, labels) == evaluation.baseline.kmeans[1]


def test_harness_runs_the_itae_pass_with_a_given_threshold(labelled_folder):
    from photo_organizer.evaluation.clustering import evaluate_clustering_job, format_report
    from photo_organizer.evaluation.datasets import read_labelled_folder
    from photo_organizer.progress import drain

    factory = TinyDinoFactory()
    dataset = read_labelled_folder(labelled_folder, limit_per_class=3)
    evaluation = drain(evaluate_clustering_job(dataset, factory, threshold=1e9, seeds=1, min_cluster_size=2))
    assert [settings.active for settings in factory.calls] == [False, True]
    assert evaluation.itae.active and evaluation.threshold_origin == "given"
    assert evaluation.fraction_flagged == 1.0  # every patch token is at or below 1e9
    assert evaluation.with_itae is not evaluation.baseline
    report = format_report(evaluation)
    assert "k-means ACC" in report and "HDBSCAN NMI" in report and "θ = 1e+09" in report
    assert evaluation.as_dict()["itae"]["threshold"] == 1e9


def test_eval_clustering_command_end_to_end(labelled_folder, home, monkeypatch, capsys):
    import json

    from photo_organizer.cli.main import main

    monkeypatch.setenv("PHOTO_ORGANIZER_RANDOM_WEIGHTS", "1")
    code = main(
        [
            "eval", "clustering", str(labelled_folder), "--json", "--seeds", "2", "--limit-per-class", "3",
            "--model", "vit_small_patch14_dinov2", "--threshold", "1e9", "--min-cluster-size", "2",
        ]
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "vit_small_patch14_dinov2" and result["classes"] == 3
    assert result["images"] == 8 and len(result["unreadable"]) == 1  # 3 per class, one broken
    assert result["itae"]["active"] and result["itae"]["num_prefix_tokens"] == 1
    for variant in ("baseline", "with_itae"):
        assert set(result[variant]["kmeans_mean"]) == {"acc", "nmi", "ari"}
        assert len(result[variant]["kmeans_per_seed"]) == 2


def test_eval_clustering_refuses_a_folder_without_classes(tmp_path, home, capsys):
    from photo_organizer.cli.main import main

    assert main(["eval", "clustering", str(tmp_path)]) == 1
    assert "sub-folders" in capsys.readouterr().err
