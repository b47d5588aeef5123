"""The dlib models shipped in face_recognition_models, loaded once, on first use (and ``warm_up`` for
them and the learned PAD model of ``biometrics.pad_net``)."""

from __future__ import annotations

import threading
from functools import cache

import dlib
import face_recognition_models

# The ResNet keeps per-call buffers: one inference at a time per process.
ENCODER_LOCK = threading.Lock()
CNN_LOCK = threading.Lock()
# dlib's object_detector keeps a mutable scanner: two threads in one HOG detection corrupt the heap (a capture
# thread and the chip portrait's template run at the same time on a gate).
HOG_LOCK = threading.Lock()


@cache
def hog_detector() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


@cache
def cnn_detector() -> dlib.cnn_face_detection_model_v1:
    return dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())


@cache
def shape_predictor_68() -> dlib.shape_predictor:
    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


@cache
def shape_predictor_5() -> dlib.shape_predictor:
    return dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())


@cache
def face_encoder() -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())


def warm_up(cnn: bool = False) -> None:
    """Load the models now (about 2 s) rather than on the first traveller; ``cnn`` also the CNN detector.
    A missing or damaged PAD model raises ``pad_net.PadModelError`` here, at the gate's start."""
    from biometrics import pad_net

    pad_net.load()
    hog_detector()
    shape_predictor_68()
    face_encoder()
    if cnn:
        cnn_detector()
