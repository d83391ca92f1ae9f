// Format recognition, byte sources and file helpers shared by the PNG and JPEG codecs.
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs_internal.h"

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

void ic_message(char *message, size_t message_size, const char *format, ...) {
    if (message == NULL || message_size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, message_size, format, args);
    va_end(args);
}

static size_t read_underlying(ic_source *source, unsigned char *buffer, size_t count) {
    if (source->file == NULL) {
        size_t available = source->size - source->position;
        size_t n = count < available ? count : available;
        if (n > 0) memcpy(buffer, source->data + source->position, n);
        source->position += n;
        return n;
    }
    size_t total = 0;
    while (total < count) {
        size_t n = fread(buffer + total, 1, count - total, source->file);
        total += n;
        if (n == 0) {
            if (ferror(source->file)) source->read_errno = errno != 0 ? errno : EIO;
            break;
        }
    }
    return total;
}

size_t ic_source_read(ic_source *source, void *buffer, size_t count) {
    unsigned char *bytes = buffer;
    size_t from_head = source->head_length - source->head_position;
    if (from_head > count) from_head = count;
    memcpy(bytes, source->head + source->head_position, from_head);
    source->head_position += from_head;
    return from_head + read_underlying(source, bytes + from_head, count - from_head);
}

ic_status ic_check_size(const char *format_name, uint64_t width, uint64_t height, uint64_t channels,
                        uint64_t bytes_per_sample, char *message, size_t message_size) {
    if (width > IC_MAX_DIMENSION || height > IC_MAX_DIMENSION) {
        ic_message(message, message_size, "unsupported %s: %llu x %llu pixels is larger than the limit of %u x %u",
                   format_name, (unsigned long long)width, (unsigned long long)height, IC_MAX_DIMENSION,
                   IC_MAX_DIMENSION);
        return IC_ERR_UNSUPPORTED;
    }
    // Width and height are at most 2^15 here and channels * bytes at most 8: the product cannot overflow.
    if (width * height * channels * bytes_per_sample > IC_MAX_BYTES) {
        ic_message(message, message_size,
                   "unsupported %s: %llu x %llu pixels with %llu channels is over the %llu MiB limit", format_name,
                   (unsigned long long)width, (unsigned long long)height, (unsigned long long)channels,
                   (unsigned long long)(IC_MAX_BYTES >> 20));
        return IC_ERR_UNSUPPORTED;
    }
    return IC_OK;
}

// Reads the head, recognises the format by its signature and hands the source to that codec.
static ic_status read_source(ic_source *source, ic_image *out, char *message, size_t message_size) {
    memset(out, 0, sizeof *out);
    source->head_length = read_underlying(source, source->head, sizeof source->head);
    if (source->read_errno != 0) {
        ic_message(message, message_size, "cannot read: %s", strerror(source->read_errno));
        return IC_ERR_READ;
    }
    if (source->head_length == 0) {
        ic_message(message, message_size, "empty file");
        return IC_ERR_NOT_IMAGE;
    }
    if (source->head_length >= sizeof png_signature && memcmp(source->head, png_signature, sizeof png_signature) == 0) {
        return ic_png_read(source, out, message, message_size);
    }
    // SOI followed by the start of another marker.
    if (source->head_length >= 3 && source->head[0] == 0xff && source->head[1] == 0xd8 && source->head[2] == 0xff) {
        return ic_jpeg_read(source, out, message, message_size);
    }
    ic_message(message, message_size, "not a PNG or JPEG file");
    return IC_ERR_NOT_IMAGE;
}

ic_status ic_read_file(const char *path, ic_image *out, char *message, size_t message_size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        memset(out, 0, sizeof *out);
        ic_message(message, message_size, "cannot read: %s", strerror(errno));
        return IC_ERR_READ;
    }
    // A directory opens on Linux; its first read fails with EISDIR, reported as a read error.
    ic_source source = {.file = file};
    ic_status status = read_source(&source, out, message, message_size);
    fclose(file);
    return status;
}

ic_status ic_read_memory(const void *data, size_t size, ic_image *out, char *message, size_t message_size) {
    ic_source source = {.data = data, .size = data == NULL ? 0 : size};
    return read_source(&source, out, message, message_size);
}

void ic_image_free(ic_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    memset(image, 0, sizeof *image);
}

ic_status ic_create_file(const char *path, FILE **file, char *message, size_t message_size) {
    *file = fopen(path, "wbx");
    if (*file != NULL) return IC_OK;
    ic_message(message, message_size, "cannot write: %s", strerror(errno));
    return IC_ERR_WRITE;
}

ic_status ic_finish_file(FILE *file, ic_status status, char *message, size_t message_size) {
    if (status == IC_OK && (fflush(file) != 0 || fsync(fileno(file)) != 0)) {
        ic_message(message, message_size, "cannot write: %s", strerror(errno));
        status = IC_ERR_WRITE;
    }
    if (fclose(file) != 0 && status == IC_OK) {
        ic_message(message, message_size, "cannot write: %s", strerror(errno));
        status = IC_ERR_WRITE;
    }
    return status;
}

int ic_host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}
