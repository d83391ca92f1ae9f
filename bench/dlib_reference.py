"""The official Python path of the real-face section of `make bench`: dlib's own Python binding, and pSp's
alignment script (`scripts/align_all_parallel.py`'s `align_face`, imported from a pixel2style2pixel checkout).

Neither ships with the toolkit: the binding builds from source (about 20 minutes) and the script is the authors'.
Put a dlib binding (and Pillow, SciPy) on STYLEGAN_BENCH_PYTHONPATH and name the checkout in STYLEGAN_PSP_REPO;
what is missing is reported, not guessed. Prints one JSON object.

usage: dlib_reference.py MODELS_FOLDER PHOTO...
"""
import json
import os
import sys
import time


def fastest(runs, body):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    models, photos = sys.argv[1], sys.argv[2:]
    result = {}
    try:
        import dlib
        import numpy as np
    except ImportError as error:
        print(json.dumps({"unavailable": "dlib's Python binding is not installed (%s)" % error}))
        return
    result["dlib"] = dlib.__version__
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(models, "shape_predictor_68_face_landmarks.dat"))
    recognizer = dlib.face_recognition_model_v1(os.path.join(models, "dlib_face_recognition_resnet_model_v1.dat"))
    detect, describe, chip_ms = {}, {}, []
    for photo in photos:
        name = os.path.basename(photo)
        image = dlib.load_rgb_image(photo)
        box = detector(image, 1)[0]
        shape = predictor(image, box)
        detector(image, 1)
        detect[name] = fastest(3, lambda: [predictor(image, d) for d in detector(image, 1)]) * 1e3
        recognizer.compute_face_descriptor(image, shape)
        describe[name] = fastest(3, lambda: recognizer.compute_face_descriptor(image, shape)) * 1e3
        chip = dlib.get_face_chip(image, shape, size=150, padding=0.25)
        chips = [chip] * 16
        recognizer.compute_face_descriptor(chips)
        chip_ms.append(fastest(3, lambda: recognizer.compute_face_descriptor(chips)) * 1e3 / 16)
    result.update(detect_ms=detect, descriptor_ms=describe, chip16_ms=min(chip_ms))

    repo = os.environ.get("STYLEGAN_PSP_REPO")
    if not repo:
        result["align_unavailable"] = "STYLEGAN_PSP_REPO does not name a pixel2style2pixel checkout"
    else:
        try:
            sys.path.insert(0, repo)
            from scripts.align_all_parallel import align_face
        except Exception as error:  # the script's own imports (Pillow, SciPy, its configs)
            result["align_unavailable"] = "cannot import pSp's align_face: %s" % error
        else:
            align = {}
            for photo in photos:
                align_face(photo, predictor)
                align[os.path.basename(photo)] = fastest(3, lambda: align_face(photo, predictor)) * 1e3
            result["align_ms"] = align
    print(json.dumps(result))


if __name__ == "__main__":
    main()
