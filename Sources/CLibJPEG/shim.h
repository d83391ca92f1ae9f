// libjpeg(-turbo), found through pkg-config ("libjpeg"). Only CImageCodecs calls it: libjpeg reports
// errors with longjmp, which must not cross Swift frames.
// jpeglib.h uses size_t and FILE without including their headers.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
