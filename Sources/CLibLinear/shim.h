// liblinear (Debian liblinear-dev 2.3.0), which ships no pkg-config file: the header is found on the default
// include path and the library is linked by the module map. Only Editing's linear SVM calls it.
#include <linear.h>
