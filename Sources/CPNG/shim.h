// libpng; TripletKit uses only the simplified png_image API, which reports errors
// through png_image.message instead of longjmp.
#include <png.h>
