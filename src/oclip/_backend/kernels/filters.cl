// Neighbourhood filters: separable passes along one axis (box windows) and
// ellipsoid windows ("sphere"), with the machinery of neighbourhood.clh.
// Build options: T_IN, T_OUT (element types).

#include "neighbourhood.clh"

#define PASS_PARAMETERS const int radius, const int nx, const int ny, const int nz

// Correlation with 2 * radius + 1 weights (a Gaussian, a box of 1 / width...).
#define CONVOLVE(AXIS)                                                          \
__kernel void convolve_##AXIS(__global const T_IN *src, __global T_OUT *dst,    \
                              __constant float *weights, PASS_PARAMETERS)       \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    float sum = 0.0f;                                                           \
    WINDOW_LOOP(float, sum += weights[k + radius] * v)                          \
    dst[here] = (T_OUT)sum;                                                     \
}

// Minimum or maximum over a box, one axis at a time (PICK is min or max).
#define EXTREMUM(NAME, PICK, AXIS)                                              \
__kernel void NAME##_##AXIS(__global const T_IN *src, __global T_OUT *dst,     \
                            PASS_PARAMETERS)                                    \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    T_IN best = src[here];                                                      \
    WINDOW_LOOP(T_IN, best = PICK(best, v))                                     \
    dst[here] = (T_OUT)best;                                                    \
}

// Minimum or maximum over an ellipsoid of radii (rx, ry, rz).
#define EXTREMUM_SPHERE(NAME, PICK)                                             \
__kernel void NAME##_sphere(__global const T_IN *src, __global T_OUT *dst,      \
                            SPHERE_PARAMETERS)                                  \
{                                                                               \
    PIXEL_SETUP                                                                 \
    T_IN best = src[here];                                                      \
    ELLIPSOID_LOOP(best = PICK(best, src[j]))                                   \
    dst[here] = (T_OUT)best;                                                    \
}

CONVOLVE(x)
CONVOLVE(y)
CONVOLVE(z)
EXTREMUM(minimum, min, x)
EXTREMUM(minimum, min, y)
EXTREMUM(minimum, min, z)
EXTREMUM(maximum, max, x)
EXTREMUM(maximum, max, y)
EXTREMUM(maximum, max, z)
EXTREMUM_SPHERE(minimum, min)
EXTREMUM_SPHERE(maximum, max)
