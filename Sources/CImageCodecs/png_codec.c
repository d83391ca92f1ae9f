// PNG reading and writing with libpng.
//
// libpng reports errors by calling an error function that must not return. Ours records the message and
// longjmps back to the setjmp in decode_png/encode_png. Everything those functions allocate or change
// lives in a struct owned by the calling frame: after a longjmp, the locals of the function that called
// setjmp are indeterminate if they changed in between, but memory reached through a pointer is not.
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "codecs_internal.h"

typedef struct {
    jmp_buf jump;
    ic_status status;  // IC_OK until something fails; the first failure wins
    char *message;
    size_t message_size;
    ic_source *source;  // reading
    FILE *file;         // writing
    png_structp png;
    png_infop info;
    unsigned char *pixels;
    png_bytep *rows;
} png_state;

static void PNGCBAPI on_error(png_structp png, png_const_charp text) {
    png_state *state = png_get_error_ptr(png);
    if (state->status == IC_OK) {
        state->status = state->source != NULL ? IC_ERR_CORRUPT : IC_ERR_INVALID;
        if (state->source != NULL) {
            ic_message(state->message, state->message_size, "corrupt PNG data: %s", text);
        } else {
            ic_message(state->message, state->message_size, "cannot write PNG: %s", text);
        }
    }
    longjmp(state->jump, 1);
}

// Warnings (bad ancillary chunks, sRGB profile quirks) do not stop decoding; keep them off stderr.
static void PNGCBAPI on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void PNGCBAPI read_data(png_structp png, png_bytep data, size_t length) {
    png_state *state = png_get_io_ptr(png);
    if (ic_source_read(state->source, data, length) == length) return;
    if (state->source->read_errno != 0) {
        state->status = IC_ERR_READ;
        ic_message(state->message, state->message_size, "cannot read: %s", strerror(state->source->read_errno));
    } else {
        state->status = IC_ERR_TRUNCATED;
        ic_message(state->message, state->message_size, "truncated PNG data");
    }
    png_error(png, "read failed");  // does not return; on_error keeps the status set above
}

static void PNGCBAPI write_data(png_structp png, png_bytep data, size_t length) {
    png_state *state = png_get_io_ptr(png);
    if (fwrite(data, 1, length, state->file) == length) return;
    state->status = IC_ERR_WRITE;
    ic_message(state->message, state->message_size, "cannot write: %s", strerror(errno));
    png_error(png, "write failed");
}

static void PNGCBAPI flush_data(png_structp png) {
    (void)png;  // ic_finish_file flushes once at the end
}

static uint32_t read_be32(const unsigned char *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

static void decode_png(png_state *state, ic_image *out) {
    if (setjmp(state->jump)) return;  // an error callback jumped here; state->status says why

    // IHDR must come first. Checking its size here gives a clear message; libpng's user limits below
    // are the backstop for anything this misses.
    ic_source *source = state->source;
    if (source->head_length >= 24 && memcmp(source->head + 12, "IHDR", 4) == 0) {
        state->status = ic_check_size("PNG", read_be32(source->head + 16), read_be32(source->head + 20), 1, 1,
                                      state->message, state->message_size);
        if (state->status != IC_OK) return;
    }

    state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (state->png != NULL) state->info = png_create_info_struct(state->png);
    if (state->info == NULL) {
        state->status = IC_ERR_NO_MEMORY;
        ic_message(state->message, state->message_size, "out of memory");
        return;
    }
    png_set_read_fn(state->png, state, read_data);
    png_set_user_limits(state->png, IC_MAX_DIMENSION, IC_MAX_DIMENSION);
    png_read_info(state->png, state->info);

    // Palette -> RGB, gray below 8 bits -> 8 bits, tRNS -> an alpha channel; PNG stores 16-bit samples
    // big-endian, the caller wants host order; interlaced images are de-interlaced by png_read_image.
    png_set_expand(state->png);
    if (png_get_bit_depth(state->png, state->info) == 16 && ic_host_is_little_endian()) png_set_swap(state->png);
    png_set_interlace_handling(state->png);
    png_read_update_info(state->png, state->info);

    uint32_t width = png_get_image_width(state->png, state->info);
    uint32_t height = png_get_image_height(state->png, state->info);
    uint32_t channels = png_get_channels(state->png, state->info);
    uint32_t bit_depth = png_get_bit_depth(state->png, state->info);
    state->status = ic_check_size("PNG", width, height, channels, bit_depth / 8, state->message, state->message_size);
    if (state->status != IC_OK) return;

    size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    if (png_get_rowbytes(state->png, state->info) != row_bytes) {
        state->status = IC_ERR_UNSUPPORTED;
        ic_message(state->message, state->message_size, "unsupported PNG layout (%u channels, %u bits)", channels,
                   bit_depth);
        return;
    }
    state->pixels = malloc(row_bytes * height);
    state->rows = malloc(sizeof(png_bytep) * height);
    if (state->pixels == NULL || state->rows == NULL) {
        state->status = IC_ERR_NO_MEMORY;
        ic_message(state->message, state->message_size, "out of memory");
        return;
    }
    for (uint32_t y = 0; y < height; y++) state->rows[y] = state->pixels + (size_t)y * row_bytes;
    png_read_image(state->png, state->rows);
    png_read_end(state->png, NULL);  // checks the chunks after the image data, so a missing IEND is truncation

    *out = (ic_image){.width = width, .height = height, .channels = channels, .bit_depth = bit_depth,
                      .pixels = state->pixels};
    state->pixels = NULL;  // now the caller's
}

ic_status ic_png_read(ic_source *source, ic_image *out, char *message, size_t message_size) {
    png_state state = {.status = IC_OK, .message = message, .message_size = message_size, .source = source};
    decode_png(&state, out);
    png_destroy_read_struct(&state.png, &state.info, NULL);
    free(state.rows);
    free(state.pixels);
    return state.status;
}

static void encode_png(png_state *state, uint32_t width, uint32_t height, uint32_t channels, uint32_t bit_depth,
                       const void *pixels) {
    if (setjmp(state->jump)) return;  // an error callback jumped here; state->status says why

    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    state->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (state->png != NULL) state->info = png_create_info_struct(state->png);
    size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    state->rows = malloc(sizeof(png_bytep) * height);
    if (state->info == NULL || state->rows == NULL) {
        state->status = IC_ERR_NO_MEMORY;
        ic_message(state->message, state->message_size, "out of memory");
        return;
    }
    // libpng copies each row before transforming it (the byte swap below), so the const input is only read.
    for (uint32_t y = 0; y < height; y++) state->rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;

    png_set_write_fn(state->png, state, write_data, flush_data);
    png_set_IHDR(state->png, state->info, width, height, (int)bit_depth, color_types[channels - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(state->png, state->info);
    if (bit_depth == 16 && ic_host_is_little_endian()) png_set_swap(state->png);
    png_write_image(state->png, state->rows);
    png_write_end(state->png, NULL);
}

ic_status ic_write_png(const char *path, uint32_t width, uint32_t height, uint32_t channels, uint32_t bit_depth,
                       const void *pixels, char *message, size_t message_size) {
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0 ||
        width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX || pixels == NULL) {
        ic_message(message, message_size,
                   "cannot write PNG: %u x %u pixels, %u channels, %u bits (need 1-4 channels of 8 or 16 bits)",
                   width, height, channels, bit_depth);
        return IC_ERR_INVALID;
    }
    png_state state = {.status = IC_OK, .message = message, .message_size = message_size};
    ic_status status = ic_create_file(path, &state.file, message, message_size);
    if (status != IC_OK) return status;
    encode_png(&state, width, height, channels, bit_depth, pixels);
    png_destroy_write_struct(&state.png, &state.info);
    free(state.rows);
    return ic_finish_file(state.file, state.status, message, message_size);
}
