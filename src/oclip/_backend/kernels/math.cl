// Pixel-wise arithmetic.  Build options: T1 (first input type), T2 (second
// input type, defaults to T1).  Results of arithmetic are float, as numpy's
// float32 arithmetic gives them.

#ifndef T2
#define T2 T1
#endif

__kernel void add_images(__global const T1 *a, __global const T2 *b, __global float *out)
{
    const size_t i = get_global_id(0);
    out[i] = (float)a[i] + (float)b[i];
}

__kernel void multiply_image_and_scalar(__global const T1 *a, const float factor,
                                        __global float *out)
{
    const size_t i = get_global_id(0);
    out[i] = (float)a[i] * factor;
}

// a - b in the inputs' own type, for differences known not to overflow
// (an image minus its opening); `out` may alias `b`.
__kernel void subtract_same_type(__global const T1 *a, __global const T1 *b, __global T1 *out)
{
    const size_t i = get_global_id(0);
    out[i] = a[i] - b[i];
}
