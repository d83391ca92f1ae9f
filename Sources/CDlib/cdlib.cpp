// See include/cdlib.h. The networks and pyramids are dlib's own; this file only copies pixels in and results out
// and turns exceptions into statuses.
#include "cdlib.h"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <variant>
#include <vector>

namespace {

// The mmod network of dlib's cnn_face_detection_model_v1 (tools/python/src/cnn_face_detector.cpp).
template <long N, typename SUBNET> using con5d = dlib::con<N, 5, 5, 2, 2, SUBNET>;
template <long N, typename SUBNET> using con5 = dlib::con<N, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<32,
    dlib::relu<dlib::affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = dlib::relu<dlib::affine<con5<45, SUBNET>>>;
using mmod_net = dlib::loss_mmod<dlib::con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>;

// The face-recognition ResNet of dlib_face_recognition_resnet_model_v1.dat (examples/dnn_face_recognition_ex.cpp).
template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename SUBNET>
using residual = dlib::add_prev1<Block<N, BN, 1, dlib::tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = dlib::add_prev2<dlib::avg_pool<2, 2, 2, 2, dlib::skip1<dlib::tag2<Block<N, BN, 2, dlib::tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int Stride, typename SUBNET>
using block = BN<dlib::con<N, 3, 3, 1, 1, dlib::relu<BN<dlib::con<N, 3, 3, Stride, Stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = dlib::relu<residual<block, N, dlib::affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = dlib::relu<residual_down<block, N, dlib::affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using recognition_net = dlib::loss_metric<dlib::fc_no_bias<128, dlib::avg_pool_everything<alevel0<alevel1<alevel2<
    alevel3<alevel4<dlib::max_pool<3, 3, 2, 2, dlib::relu<dlib::affine<dlib::con<32, 7, 7, 2, 2,
    dlib::input_rgb_image_sized<150>>>>>>>>>>>>>;

void write_message(char *message, size_t size, const std::string &text) {
    if (message && size > 0) std::snprintf(message, size, "%s", text.c_str());
}

// Runs `body`, turning every exception into a status and a message.
template <typename Body>
cdlib_status guarded(char *message, size_t size, cdlib_status on_dlib_error, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        write_message(message, size, "out of memory");
        return CDLIB_ERR_NO_MEMORY;
    } catch (const dlib::serialization_error &e) {
        write_message(message, size, std::string("not a valid model file: ") + e.what());
        return CDLIB_ERR_CORRUPT;
    } catch (const std::exception &e) {
        write_message(message, size, e.what());
        return on_dlib_error;
    } catch (...) {
        write_message(message, size, "unknown error");
        return CDLIB_ERR_INTERNAL;
    }
}

// Opens `path` for deserialisation, or says why not.
cdlib_status open_model(const char *path, std::ifstream &in, char *message, size_t size) {
    if (!path) {
        write_message(message, size, "no model path");
        return CDLIB_ERR_INVALID;
    }
    in.open(path, std::ios::binary);
    if (!in) {
        write_message(message, size, std::strerror(errno));
        return CDLIB_ERR_READ;
    }
    return CDLIB_OK;
}

bool valid_image(const uint8_t *rgb, uint32_t width, uint32_t height, char *message, size_t size) {
    if (!rgb || width == 0 || height == 0) {
        write_message(message, size, "empty image");
        return false;
    }
    return true;
}

template <typename Image>
void copy_in(Image &image, const uint8_t *rgb, uint32_t width, uint32_t height) {
    image.set_size(height, width);
    dlib::image_view<Image> view(image);
    for (uint32_t r = 0; r < height; ++r) {
        const uint8_t *row = rgb + size_t(r) * width * 3;
        for (uint32_t c = 0; c < width; ++c) view[r][c] = dlib::rgb_pixel(row[3 * c], row[3 * c + 1], row[3 * c + 2]);
    }
}

}  // namespace

// The caller's pixels as a read-only dlib generic image, so the shape predictor reads them without a copy. Its
// functions sit in the struct's own namespace, where dlib's generic-image templates find them by argument lookup.
namespace cdlib {
struct rgb_view {
    const uint8_t *rgb;
    long width, height;
};
inline long num_rows(const rgb_view &v) { return v.height; }
inline long num_columns(const rgb_view &v) { return v.width; }
inline const void *image_data(const rgb_view &v) { return v.rgb; }
inline long width_step(const rgb_view &v) { return v.width * 3; }
}  // namespace cdlib

namespace dlib {
template <> struct image_traits<cdlib::rgb_view> { typedef rgb_pixel pixel_type; };
}  // namespace dlib

struct cdlib_detector {
    std::variant<dlib::frontal_face_detector, mmod_net> model;
};

struct cdlib_predictor {
    dlib::shape_predictor model;
};

struct cdlib_recognizer {
    recognition_net model;
};

extern "C" {

cdlib_status cdlib_hog_detector_new(cdlib_detector **out, char *message, size_t message_size) {
    if (!out) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_INTERNAL, [&] {
        *out = new cdlib_detector{dlib::get_frontal_face_detector()};
        return CDLIB_OK;
    });
}

cdlib_status cdlib_mmod_detector_new(const char *path, cdlib_detector **out, char *message, size_t message_size) {
    if (!out) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_CORRUPT, [&] {
        std::ifstream in;
        if (auto status = open_model(path, in, message, message_size); status != CDLIB_OK) return status;
        mmod_net net;
        dlib::deserialize(net, in);
        *out = new cdlib_detector{std::move(net)};
        return CDLIB_OK;
    });
}

void cdlib_detector_free(cdlib_detector *detector) { delete detector; }

cdlib_status cdlib_detect(cdlib_detector *detector, const uint8_t *rgb, uint32_t width, uint32_t height,
                          uint32_t upsample, cdlib_rect **rects, size_t *count, char *message, size_t message_size) {
    if (!detector || !rects || !count) return CDLIB_ERR_INVALID;
    *rects = nullptr;
    *count = 0;
    if (!valid_image(rgb, width, height, message, message_size)) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_INTERNAL, [&] {
        dlib::pyramid_down<2> pyr;
        std::vector<cdlib_rect> found;
        auto add = [&](const dlib::rectangle &r, double confidence) {
            // As the binding stores it: the drectangle rounded back to a rectangle.
            dlib::rectangle down = pyr.rect_down(r, upsample);
            found.push_back({down.left(), down.top(), down.right(), down.bottom(), confidence});
        };
        if (auto *hog = std::get_if<dlib::frontal_face_detector>(&detector->model)) {
            // run_detector_with_upscale1: the first pyramid_up copies, the others work in place.
            dlib::array2d<dlib::rgb_pixel> image;
            copy_in(image, rgb, width, height);
            for (uint32_t i = 0; i < upsample; ++i) dlib::pyramid_up(image, pyr);
            std::vector<dlib::rect_detection> detections;
            (*hog)(image, detections, 0.0);
            for (auto &d : detections) add(d.rect, d.detection_confidence);
        } else {
            auto &net = std::get<mmod_net>(detector->model);
            dlib::matrix<dlib::rgb_pixel> image;
            copy_in(image, rgb, width, height);
            for (uint32_t i = 0; i < upsample; ++i) dlib::pyramid_up(image, pyr);
            for (auto &d : net(image)) add(d.rect, d.detection_confidence);
        }
        if (!found.empty()) {
            *rects = static_cast<cdlib_rect *>(std::malloc(found.size() * sizeof(cdlib_rect)));
            if (!*rects) throw std::bad_alloc();
            std::memcpy(*rects, found.data(), found.size() * sizeof(cdlib_rect));
            *count = found.size();
        }
        return CDLIB_OK;
    });
}

cdlib_status cdlib_predictor_new(const char *path, cdlib_predictor **out, uint32_t *parts, char *message,
                                 size_t message_size) {
    if (!out || !parts) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_CORRUPT, [&] {
        std::ifstream in;
        if (auto status = open_model(path, in, message, message_size); status != CDLIB_OK) return status;
        auto predictor = new cdlib_predictor;
        try {
            dlib::deserialize(predictor->model, in);
        } catch (...) {
            delete predictor;
            throw;
        }
        if (predictor->model.num_parts() == 0) {
            delete predictor;
            write_message(message, message_size, "not a valid model file: the shape predictor has no landmarks");
            return CDLIB_ERR_CORRUPT;
        }
        *parts = uint32_t(predictor->model.num_parts());
        *out = predictor;
        return CDLIB_OK;
    });
}

void cdlib_predictor_free(cdlib_predictor *predictor) { delete predictor; }

cdlib_status cdlib_predict(cdlib_predictor *predictor, const uint8_t *rgb, uint32_t width, uint32_t height,
                           cdlib_rect rect, int64_t *xy, size_t parts, char *message, size_t message_size) {
    if (!predictor || !xy) return CDLIB_ERR_INVALID;
    if (!valid_image(rgb, width, height, message, message_size)) return CDLIB_ERR_INVALID;
    if (parts != predictor->model.num_parts()) {
        write_message(message, message_size, "wrong number of landmarks requested");
        return CDLIB_ERR_INVALID;
    }
    return guarded(message, message_size, CDLIB_ERR_INTERNAL, [&] {
        cdlib::rgb_view image{rgb, long(width), long(height)};
        auto shape = predictor->model(image, dlib::rectangle(rect.left, rect.top, rect.right, rect.bottom));
        for (size_t i = 0; i < parts; ++i) {
            xy[2 * i] = shape.part(i).x();
            xy[2 * i + 1] = shape.part(i).y();
        }
        return CDLIB_OK;
    });
}

cdlib_status cdlib_face_chip(const uint8_t *rgb, uint32_t width, uint32_t height, const int64_t *xy, size_t parts,
                             uint32_t size, double padding, uint8_t *chip, char *message, size_t message_size) {
    if (!xy || !chip || size == 0 || !(padding >= 0)) return CDLIB_ERR_INVALID;
    if (!valid_image(rgb, width, height, message, message_size)) return CDLIB_ERR_INVALID;
    if (parts != 68 && parts != 5) {
        write_message(message, message_size, "a face chip needs 68 or 5 landmarks");
        return CDLIB_ERR_INVALID;
    }
    return guarded(message, message_size, CDLIB_ERR_INTERNAL, [&] {
        std::vector<dlib::point> points;
        for (size_t i = 0; i < parts; ++i) points.emplace_back(xy[2 * i], xy[2 * i + 1]);
        dlib::full_object_detection shape(dlib::rectangle(), points);
        dlib::array2d<dlib::rgb_pixel> image, out;
        copy_in(image, rgb, width, height);
        dlib::extract_image_chip(image, dlib::get_face_chip_details(shape, size, padding), out);
        for (long r = 0; r < out.nr(); ++r)
            for (long c = 0; c < out.nc(); ++c) {
                uint8_t *pixel = chip + (size_t(r) * size + size_t(c)) * 3;
                pixel[0] = out[r][c].red;
                pixel[1] = out[r][c].green;
                pixel[2] = out[r][c].blue;
            }
        return CDLIB_OK;
    });
}

cdlib_status cdlib_recognizer_new(const char *path, cdlib_recognizer **out, char *message, size_t message_size) {
    if (!out) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_CORRUPT, [&] {
        std::ifstream in;
        if (auto status = open_model(path, in, message, message_size); status != CDLIB_OK) return status;
        auto recognizer = new cdlib_recognizer;
        try {
            dlib::deserialize(recognizer->model, in);
        } catch (...) {
            delete recognizer;
            throw;
        }
        *out = recognizer;
        return CDLIB_OK;
    });
}

void cdlib_recognizer_free(cdlib_recognizer *recognizer) { delete recognizer; }

cdlib_status cdlib_face_descriptors(cdlib_recognizer *recognizer, const uint8_t *chips, size_t count,
                                    float *descriptors, char *message, size_t message_size) {
    if (!recognizer || !descriptors || (!chips && count > 0)) return CDLIB_ERR_INVALID;
    return guarded(message, message_size, CDLIB_ERR_INTERNAL, [&] {
        std::vector<dlib::matrix<dlib::rgb_pixel>> batch(count);
        for (size_t n = 0; n < count; ++n) {
            batch[n].set_size(150, 150);
            const uint8_t *pixels = chips + n * 150 * 150 * 3;
            for (long r = 0; r < 150; ++r)
                for (long c = 0; c < 150; ++c) {
                    const uint8_t *p = pixels + (r * 150 + c) * 3;
                    batch[n](r, c) = dlib::rgb_pixel(p[0], p[1], p[2]);
                }
        }
        auto outputs = recognizer->model(batch, 16);
        for (size_t n = 0; n < count; ++n)
            for (long i = 0; i < 128; ++i) descriptors[n * 128 + i] = outputs[n](i);
        return CDLIB_OK;
    });
}

void cdlib_free(void *pointer) { std::free(pointer); }

}  // extern "C"
