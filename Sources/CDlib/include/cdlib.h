// dlib's face detectors, shape predictors, face chips and face-recognition network, for Swift.
//
// dlib reports errors by C++ exceptions; every dlib call happens in this library's C++ code, below a catch, so no
// exception crosses into Swift. Each function returns a cdlib_status and, on failure, writes a one-line message (no
// file name) into the caller's buffer. Nothing is printed. Images are interleaved 8-bit RGB, row-major, without
// padding between rows.
#ifndef CDLIB_H
#define CDLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CDLIB_OK = 0,
    CDLIB_ERR_READ,       // the model file cannot be opened or read
    CDLIB_ERR_CORRUPT,    // dlib's deserialisation rejected the file (wrong model, truncated, corrupt)
    CDLIB_ERR_INVALID,    // the caller passed bad arguments (sizes, null pointers)
    CDLIB_ERR_NO_MEMORY,
    CDLIB_ERR_INTERNAL,   // any other dlib error
} cdlib_status;

// A detection: dlib's inclusive rectangle (it spans left...right) and its confidence.
typedef struct {
    int64_t left;
    int64_t top;
    int64_t right;
    int64_t bottom;
    double confidence;
} cdlib_rect;

typedef struct cdlib_detector cdlib_detector;
typedef struct cdlib_predictor cdlib_predictor;
typedef struct cdlib_recognizer cdlib_recognizer;

// dlib's HOG frontal face detector (`get_frontal_face_detector`).
cdlib_status cdlib_hog_detector_new(cdlib_detector **out, char *message, size_t message_size);

// dlib's CNN face detector (`cnn_face_detection_model_v1`) from an mmod model file
// (mmod_human_face_detector.dat).
cdlib_status cdlib_mmod_detector_new(const char *path, cdlib_detector **out, char *message, size_t message_size);

void cdlib_detector_free(cdlib_detector *detector);

// Detects faces as dlib's Python binding does for `detector(image, upsample)`: the image is upsampled `upsample`
// times by dlib's pyramid_up (pyramid_down<2>) and the rectangles mapped back. On success *rects is malloc'd
// (release with cdlib_free; NULL when *count is 0).
cdlib_status cdlib_detect(cdlib_detector *detector, const uint8_t *rgb, uint32_t width, uint32_t height,
                          uint32_t upsample, cdlib_rect **rects, size_t *count, char *message, size_t message_size);

// A shape predictor from its file (shape_predictor_68_face_landmarks.dat, shape_predictor_5_face_landmarks.dat);
// *parts receives its number of landmarks.
cdlib_status cdlib_predictor_new(const char *path, cdlib_predictor **out, uint32_t *parts, char *message,
                                 size_t message_size);

void cdlib_predictor_free(cdlib_predictor *predictor);

// The landmarks of the face in `rect` (its confidence is ignored): xy receives x0, y0, x1, y1, ... for `parts`
// points, dlib's integer pixel positions.
cdlib_status cdlib_predict(cdlib_predictor *predictor, const uint8_t *rgb, uint32_t width, uint32_t height,
                           cdlib_rect rect, int64_t *xy, size_t parts, char *message, size_t message_size);

// The face chip dlib's face recognition reads: `extract_image_chip(image, get_face_chip_details(shape, size,
// padding), chip)` for one face's 68 or 5 landmarks (x0, y0, x1, y1, ...); chip receives size x size RGB pixels.
cdlib_status cdlib_face_chip(const uint8_t *rgb, uint32_t width, uint32_t height, const int64_t *xy, size_t parts,
                             uint32_t size, double padding, uint8_t *chip, char *message, size_t message_size);

// dlib's face-recognition ResNet (`face_recognition_model_v1`) from dlib_face_recognition_resnet_model_v1.dat.
cdlib_status cdlib_recognizer_new(const char *path, cdlib_recognizer **out, char *message, size_t message_size);

void cdlib_recognizer_free(cdlib_recognizer *recognizer);

// The 128-float descriptors of `count` 150 x 150 RGB chips, as `compute_face_descriptor` on each chip.
cdlib_status cdlib_face_descriptors(cdlib_recognizer *recognizer, const uint8_t *chips, size_t count,
                                    float *descriptors, char *message, size_t message_size);

void cdlib_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
