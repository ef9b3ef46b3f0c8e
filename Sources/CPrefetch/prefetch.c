// SwiftPM needs a source file in a C target; the hint itself is inline in the header.
#include "CPrefetch.h"
