// JPEG reading and writing with libjpeg(-turbo).
//
// libjpeg reports fatal errors through error_exit, which must not return. Ours records the message and
// longjmps back to the setjmp in decode_jpeg/encode_jpeg. As in png_codec.c, all state those functions
// change lives in a struct owned by the calling frame, because locals of the function that called setjmp
// are indeterminate after the longjmp.
//
// libjpeg treats corrupt entropy-coded data and a premature end of file as warnings: by default it fills
// the rest of the image with gray and carries on. A warning here is an error instead, so a damaged or
// truncated file is reported rather than silently decoded.
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>  // jpeglib.h uses FILE and size_t without including their headers
#include <jpeglib.h>
#include <jerror.h>

#include "codecs_internal.h"

typedef struct {
    struct jpeg_error_mgr error;  // first member, so cinfo->err leads back to this struct
    jmp_buf jump;
    ic_status status;  // IC_OK until something fails; the first failure wins
    char *message;
    size_t message_size;
    int reading;  // decoding, where warnings are errors, rather than encoding
    // decoding
    struct jpeg_decompress_struct decompress;
    struct jpeg_source_mgr source_manager;
    ic_source *source;
    unsigned char *pixels;
    JOCTET buffer[16384];
    // encoding
    struct jpeg_compress_struct compress;
} jpeg_state;

static jpeg_state *state_of(j_common_ptr cinfo) { return (jpeg_state *)cinfo->err; }

// Records libjpeg's current message; replaces the default, which prints to stderr.
static void output_message(j_common_ptr cinfo) {
    jpeg_state *state = state_of(cinfo);
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    // Several libjpeg messages already start with this; avoid "corrupt JPEG data: Corrupt JPEG data: ...".
    static const char prefix[] = "Corrupt JPEG data: ";
    const char *detail = strncmp(text, prefix, sizeof prefix - 1) == 0 ? text + sizeof prefix - 1 : text;
    if (state->reading) {
        ic_message(state->message, state->message_size, "corrupt JPEG data: %s", detail);
    } else {
        ic_message(state->message, state->message_size, "cannot write JPEG: %s", detail);
    }
}

// error_exit, and warnings while reading: record why, then jump back to the setjmp.
static void fail(j_common_ptr cinfo) {
    jpeg_state *state = state_of(cinfo);
    if (state->status == IC_OK) {
        int code = cinfo->err->msg_code;
        if (code == JERR_OUT_OF_MEMORY) {
            state->status = IC_ERR_NO_MEMORY;
            ic_message(state->message, state->message_size, "out of memory");
        } else if (code == JERR_BAD_PRECISION) {  // 12-bit JPEGs, which an 8-bit libjpeg cannot decode
            state->status = IC_ERR_UNSUPPORTED;
            ic_message(state->message, state->message_size, "unsupported JPEG: %d-bit samples (8-bit only)",
                       cinfo->err->msg_parm.i[0]);
        } else if (code == JERR_FILE_WRITE) {
            state->status = IC_ERR_WRITE;
            ic_message(state->message, state->message_size, "cannot write: %s", strerror(errno));
        } else {
            state->status = state->reading ? IC_ERR_CORRUPT : IC_ERR_INVALID;
            output_message(cinfo);
        }
    }
    longjmp(state->jump, 1);
}

// level < 0 is a warning (corrupt data); level >= 0 are trace messages, which are dropped.
static void emit_message(j_common_ptr cinfo, int level) {
    if (level < 0 && state_of(cinfo)->reading) fail(cinfo);
}

static void init_error_manager(jpeg_state *state) {
    jpeg_std_error(&state->error);
    state->error.error_exit = fail;
    state->error.emit_message = emit_message;
    state->error.output_message = output_message;
}

// A source manager over ic_source, so files and memory take the same path and the end of the data is
// reported as truncation (the stdio and memory managers insert a fake EOI and only warn).
static void init_source(j_decompress_ptr cinfo) { (void)cinfo; }

static void term_source(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean fill_input_buffer(j_decompress_ptr cinfo) {
    jpeg_state *state = state_of((j_common_ptr)cinfo);
    size_t n = ic_source_read(state->source, state->buffer, sizeof state->buffer);
    if (n == 0) {
        if (state->source->read_errno != 0) {
            state->status = IC_ERR_READ;
            ic_message(state->message, state->message_size, "cannot read: %s", strerror(state->source->read_errno));
        } else {
            state->status = IC_ERR_TRUNCATED;
            ic_message(state->message, state->message_size, "truncated JPEG data");
        }
        longjmp(state->jump, 1);
    }
    state->source_manager.next_input_byte = state->buffer;
    state->source_manager.bytes_in_buffer = n;
    return TRUE;
}

static void skip_input_data(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *manager = cinfo->src;
    if (count <= 0) return;
    while ((size_t)count > manager->bytes_in_buffer) {
        count -= (long)manager->bytes_in_buffer;
        fill_input_buffer(cinfo);
    }
    manager->next_input_byte += count;
    manager->bytes_in_buffer -= (size_t)count;
}

static void decode_jpeg(jpeg_state *state, ic_image *out) {
    if (setjmp(state->jump)) return;  // error_exit, a warning or the source jumped here; state->status says why

    struct jpeg_decompress_struct *cinfo = &state->decompress;
    cinfo->err = &state->error;
    jpeg_create_decompress(cinfo);
    state->source_manager = (struct jpeg_source_mgr){
        .init_source = init_source,
        .fill_input_buffer = fill_input_buffer,
        .skip_input_data = skip_input_data,
        .resync_to_restart = jpeg_resync_to_restart,
        .term_source = term_source,
    };
    cinfo->src = &state->source_manager;
    jpeg_read_header(cinfo, TRUE);

    if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) {
        state->status = IC_ERR_UNSUPPORTED;
        ic_message(state->message, state->message_size, "unsupported JPEG: CMYK and YCCK images are not supported");
        return;
    }
    int gray = cinfo->num_components == 1;
    cinfo->out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    state->status = ic_check_size("JPEG", cinfo->image_width, cinfo->image_height, gray ? 1 : 3, 1, state->message,
                                  state->message_size);
    if (state->status != IC_OK) return;

    jpeg_start_decompress(cinfo);
    size_t row_bytes = (size_t)cinfo->output_width * (size_t)cinfo->output_components;
    state->pixels = malloc(row_bytes * cinfo->output_height);
    if (state->pixels == NULL) {
        state->status = IC_ERR_NO_MEMORY;
        ic_message(state->message, state->message_size, "out of memory");
        return;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = state->pixels + (size_t)cinfo->output_scanline * row_bytes;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);  // reads up to EOI, so damage after the last row is reported too

    *out = (ic_image){.width = cinfo->output_width, .height = cinfo->output_height,
                      .channels = (uint32_t)cinfo->output_components, .bit_depth = 8, .pixels = state->pixels};
    state->pixels = NULL;  // now the caller's
}

ic_status ic_jpeg_read(ic_source *source, ic_image *out, char *message, size_t message_size) {
    // Heap-allocated (and zeroed, so status starts as IC_OK): the input buffer makes it a large object.
    jpeg_state *state = calloc(1, sizeof *state);
    if (state == NULL) {
        ic_message(message, message_size, "out of memory");
        return IC_ERR_NO_MEMORY;
    }
    state->message = message;
    state->message_size = message_size;
    state->reading = 1;
    state->source = source;
    init_error_manager(state);
    decode_jpeg(state, out);
    jpeg_destroy_decompress(&state->decompress);  // safe after a failed create: it checks cinfo->mem
    free(state->pixels);
    ic_status status = state->status;
    free(state);
    return status;
}

static void encode_jpeg(jpeg_state *state, FILE *file, uint32_t width, uint32_t height, uint32_t channels,
                        const uint8_t *pixels, int quality) {
    if (setjmp(state->jump)) return;  // error_exit jumped here; state->status says why

    struct jpeg_compress_struct *cinfo = &state->compress;
    cinfo->err = &state->error;
    jpeg_create_compress(cinfo);
    jpeg_stdio_dest(cinfo, file);
    cinfo->image_width = width;
    cinfo->image_height = height;
    cinfo->input_components = (int)channels;
    cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    size_t row_bytes = (size_t)width * channels;
    while (cinfo->next_scanline < cinfo->image_height) {
        // libjpeg's API takes non-const rows but only reads them when compressing.
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo->next_scanline * row_bytes);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
}

ic_status ic_write_jpeg(const char *path, uint32_t width, uint32_t height, uint32_t channels, const uint8_t *pixels,
                        int quality, char *message, size_t message_size) {
    if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION || pixels == NULL) {
        ic_message(message, message_size,
                   "cannot write JPEG: %u x %u pixels with %u channels (need gray or RGB, at most %d x %d)", width,
                   height, channels, (int)JPEG_MAX_DIMENSION, (int)JPEG_MAX_DIMENSION);
        return IC_ERR_INVALID;
    }
    if (quality < 1 || quality > 100) {
        ic_message(message, message_size, "cannot write JPEG: quality %d is outside 1...100", quality);
        return IC_ERR_INVALID;
    }
    FILE *file;
    ic_status status = ic_create_file(path, &file, message, message_size);
    if (status != IC_OK) return status;
    jpeg_state *state = calloc(1, sizeof *state);
    if (state == NULL) {
        ic_message(message, message_size, "out of memory");
        return ic_finish_file(file, IC_ERR_NO_MEMORY, message, message_size);
    }
    state->message = message;
    state->message_size = message_size;
    init_error_manager(state);
    encode_jpeg(state, file, width, height, channels, pixels, quality);
    jpeg_destroy_compress(&state->compress);
    status = state->status;
    free(state);
    return ic_finish_file(file, status, message, message_size);
}
