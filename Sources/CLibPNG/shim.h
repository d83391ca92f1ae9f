// libpng, found through pkg-config ("libpng"). Only CImageCodecs calls it: libpng reports errors with
// longjmp, which must not cross Swift frames.
#include <png.h>
