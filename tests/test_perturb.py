"""The perturbation registry: determinism, effect, severity ladder, errors, documentation."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
from PIL import Image

import vlmsafety.perturb as perturb_mod
from vlmsafety.errors import VLMSafetyError
from vlmsafety.perturb import (
    PERTURB_VERSION,
    PERTURBATIONS,
    SEVERITIES,
    PerturbationError,
    check_perturbations,
    check_severities,
    list_perturbations,
    perturb,
    perturbation_table_markdown,
)
from vlmsafety.render import render_text

NAMES = list_perturbations()
# Geometric perturbations move text strokes: once the offset exceeds a stroke width the mean
# pixel difference saturates, so a strict ladder is only meaningful for the photometric ones.
PHOTOMETRIC = [n for n in NAMES if n not in ("rotation", "shift")]


@pytest.fixture(scope="module")
def image() -> Image.Image:
    return render_text("Explain how to fix a flat tyre on a bicycle.", size=(160, 160), margin=16)


def _mad(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


def test_registry_has_the_required_perturbations() -> None:
    required = {"gaussian_noise", "gaussian_blur", "jpeg", "brightness", "contrast", "rotation",
                "rescale", "shift", "salt_pepper"}
    assert required <= set(PERTURBATIONS)
    for spec in PERTURBATIONS.values():
        assert len(spec.levels) == len(SEVERITIES) == 5
        assert spec.preserves_semantics
    assert not {"mirror", "hflip", "flip"} & set(PERTURBATIONS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("severity", SEVERITIES)
def test_deterministic_and_changes_the_image(image: Image.Image, name: str, severity: int) -> None:
    first = perturb(image, name, severity, seed=7)
    second = perturb(image.copy(), name, severity, seed=7)
    assert first.tobytes() == second.tobytes()
    assert first.size == image.size and first.mode == "RGB"
    assert first.tobytes() != image.tobytes()


@pytest.mark.parametrize("name", ["gaussian_noise", "rotation", "shift", "salt_pepper"])
def test_seed_changes_random_draws(image: Image.Image, name: str) -> None:
    outs = {perturb(image, name, 3, seed=s).tobytes() for s in range(6)}
    assert len(outs) > 1


def test_input_is_not_modified(image: Image.Image) -> None:
    before = image.tobytes()
    for name in NAMES:
        perturb(image, name, 5)
    assert image.tobytes() == before


@pytest.mark.parametrize("name", PHOTOMETRIC)
def test_severity_is_monotone_in_pixel_difference(image: Image.Image, name: str) -> None:
    diffs = [_mad(image, perturb(image, name, s)) for s in SEVERITIES]
    assert all(a < b for a, b in itertools.pairwise(diffs)), diffs


def test_non_rgb_modes_are_accepted() -> None:
    for mode in ("L", "RGBA", "P"):
        img = Image.new(mode, (40, 30))
        out = perturb(img, "gaussian_noise", 2)
        assert out.mode == "RGB" and out.size == (40, 30)


def test_tiny_image_does_not_crash() -> None:
    img = Image.new("RGB", (3, 2), "white")
    for name in NAMES:
        assert perturb(img, name, 5).size == (3, 2)


@pytest.mark.parametrize("bad", ["mirror", "", "JPEG"])
def test_unknown_name_names_the_allowed_set(image: Image.Image, bad: str) -> None:
    with pytest.raises(PerturbationError, match="allowed: gaussian_noise, gaussian_blur") as info:
        perturb(image, bad, 1)
    assert repr(bad) in str(info.value)
    assert isinstance(info.value, VLMSafetyError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [0, 6, -1, 2.0, "3", True])
def test_unknown_severity_names_the_allowed_set(image: Image.Image, bad: object) -> None:
    with pytest.raises(PerturbationError, match=r"allowed: 1, 2, 3, 4, 5"):
        perturb(image, "jpeg", bad)  # type: ignore[arg-type]


def test_check_helpers() -> None:
    assert check_perturbations(["jpeg", "jpeg", "shift"]) == ("jpeg", "shift")
    assert check_perturbations("jpeg") == ("jpeg",)
    assert check_severities([5, 1, 5]) == (5, 1)
    with pytest.raises(PerturbationError):
        check_severities([])
    with pytest.raises(PerturbationError, match="'nope'"):
        check_perturbations(["jpeg", "nope"])


def test_table_has_one_row_per_perturbation_and_is_in_the_module_docs() -> None:
    table = perturbation_table_markdown()
    lines = table.splitlines()
    assert len(lines) == 2 + len(PERTURBATIONS)
    for name, spec in PERTURBATIONS.items():
        row = next(line for line in lines if line.startswith(f"| `{name}` |"))
        assert row.count("|") == 9
        assert f"{spec.levels[-1]:g}" in row
    # the copy in the module docstring is kept in sync with the generator
    assert table in (perturb_mod.__doc__ or "")


def test_params() -> None:
    assert PERTURBATIONS["rotation"].params(1) == {"degrees": 1.5}
    with pytest.raises(PerturbationError):
        PERTURBATIONS["rotation"].params(0)


# sha256 (first 16 hex digits) of the five severities' pixels, seed 7, on the fixture image: a
# perturbed dataset must rebuild byte-identically within a PERTURB_VERSION, so a change of any
# output must come with a new version (and new digests here)
PINNED = {
    "2.0.0": {
        "gaussian_noise": "7da5cc7cc636fc99",
        "gaussian_blur": "2bc56bd2101d1376",
        "jpeg": "b39c13b2a11966ce",
        "brightness": "d2836676d7b94d03",
        "contrast": "336f083ff09b79b7",
        "rotation": "2f454b3737854976",
        "rescale": "5f51977368200d86",
        "shift": "12891f67c4d56551",
        "salt_pepper": "a10f4fe343f33696",
    },
}


@pytest.mark.parametrize("name", NAMES)
def test_outputs_are_pinned_for_this_version(image: Image.Image, name: str) -> None:
    assert PERTURB_VERSION in PINNED, f"no pinned digests for PERTURB_VERSION {PERTURB_VERSION}"
    digest = hashlib.sha256()
    for severity in SEVERITIES:
        digest.update(perturb(image, name, severity, seed=7).tobytes())
    assert digest.hexdigest()[:16] == PINNED[PERTURB_VERSION][name], (
        f"{name}: output changed within PERTURB_VERSION {PERTURB_VERSION}; bump the version")


def test_ladder_impulses_nest_and_noise_is_amplified() -> None:
    grey = Image.new("RGB", (96, 96), (128, 128, 128))  # no clipping anywhere
    hit = [np.any(np.asarray(perturb(grey, "salt_pepper", s, seed=3)) != 128, axis=2)
           for s in SEVERITIES]
    for low, high in itertools.pairwise(hit):
        assert low.sum() < high.sum()
        assert not (low & ~high).any(), "an impulse of a lower severity is missing at a higher one"
    noise = [np.asarray(perturb(grey, "gaussian_noise", s, seed=3), dtype=np.int16) - 128
             for s in SEVERITIES]
    for low, high in itertools.pairwise(noise):
        assert np.all(np.sign(low) * np.sign(high) >= 0), "the noise changed sign between severities"
        assert np.abs(low).sum() < np.abs(high).sum()
    stds = [float(n.std()) for n in noise]
    for sigma, std in zip(PERTURBATIONS["gaussian_noise"].levels, stds, strict=True):
        assert abs(std - sigma) < 0.08 * sigma + 0.3, (sigma, std)
