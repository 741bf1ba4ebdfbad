// Derivative filters on 3x3(x3) neighbourhoods: the Sobel gradient magnitude
// and the eigenvalues of the Hessian.  Build options: T_IN (element type),
// DIMENSIONS (2 or 3: a 2D image is one plane, nz = 1, and has no z terms),
// VEC (pixels along x per work-item, see VECTOR_FRAME in neighbourhood.clh).

#include "neighbourhood.clh"

#if DIMENSIONS == 3
#define DZ_RANGE 1
#else
#define DZ_RANGE 0
#endif

// sqrt(gx^2 + gy^2 (+ gz^2)) with g the Sobel derivative along each axis:
// [-1, 0, 1] along it, smoothed with [1, 2, 1] along the others (as
// scipy.ndimage.sobel, per axis); borders replicate the edge pixel.
#define SOBEL_BODY(M, UNUSED)                                                   \
    TYPE_##M(float) gx = 0.0f, gy = 0.0f, gz = 0.0f;                            \
    _Pragma("unroll")                                                           \
    for (int dz = -DZ_RANGE; dz <= DZ_RANGE; ++dz) {                            \
        const float sz = DZ_RANGE ? (float)(2 - abs(dz)) : 1.0f;                \
        _Pragma("unroll")                                                       \
        for (int dy = -1; dy <= 1; ++dy) {                                      \
            const long row = CLAMPED_ROW(dy, dz);                               \
            const float sy = (float)(2 - abs(dy));                              \
            const TYPE_##M(float) left =                                        \
                CONVERT_##M(float, LOAD_##M(src, row + SHIFT_x_##M(-1)));       \
            const TYPE_##M(float) centre = CONVERT_##M(float, LOAD_##M(src, row)); \
            const TYPE_##M(float) right =                                       \
                CONVERT_##M(float, LOAD_##M(src, row + SHIFT_x_##M(1)));        \
            const TYPE_##M(float) smoothed = left + 2.0f * centre + right;      \
            gx += sy * sz * (right - left);                                     \
            gy += (float)dy * sz * smoothed;                                    \
            gz += (float)dz * sy * smoothed;                                    \
        }                                                                       \
    }                                                                           \
    STORE_##M(sqrt(gx * gx + gy * gy + gz * gz), dst, here);

__kernel void sobel(__global const T_IN *src, __global float *dst,
                    const int nx, const int ny, const int nz)
{
    VECTOR_FRAME(1, SOBEL_BODY, 0)
}

// --- Hessian -------------------------------------------------------------------
// Derivatives as numpy.gradient takes them: (f[i+1] - f[i-1]) / 2 inside,
// f[1] - f[0] and f[n-1] - f[n-2] at the ends, 0 along an axis of length 1.
// The Hessian's element (a, b) is the gradient along b of the gradient along
// a (scikit-image's hessian_matrix with use_gaussian_derivatives=False).
// Offsets are relative to the pixel (x, y, z); in vector mode every lane is
// at least 2 pixels from the x borders, where the rule is the same for all.

typedef struct { int low, high; float scale; } Taps;

// The taps of the gradient at position i of an axis of length n, as offsets
// from `origin`.
inline Taps gradient_taps(const int i, const int n, const int origin)
{
    Taps t;
    t.low = max(i - 1, 0) - origin;
    t.high = min(i + 1, n - 1) - origin;
    t.scale = n == 1 ? 0.0f : (i == 0 || i == n - 1) ? 1.0f : 0.5f;
    return t;
}

// g at the offset (ox, oy, oz) from the pixel.
#define G_AT(M, ox, oy, oz)                                                     \
    LOAD_##M(g, here + (ox) + ((long)(oz) * ny + (oy)) * nx)

// The gradient along axis A (0 = x, 1 = y, 2 = z) at the offset (ox, oy, oz).
#define GRADIENT_AT(M, A, ox, oy, oz, out)                                      \
    {                                                                           \
        const int o[3] = {ox, oy, oz};                                          \
        const int p[3] = {x, y, z};                                             \
        const int n[3] = {nx, ny, nz};                                          \
        const Taps t = gradient_taps(p[A] + o[A], n[A], p[A]);                  \
        int below[3] = {o[0], o[1], o[2]}, above[3] = {o[0], o[1], o[2]};       \
        below[A] = t.low;                                                       \
        above[A] = t.high;                                                      \
        out = t.scale * (G_AT(M, above[0], above[1], above[2])                  \
                         - G_AT(M, below[0], below[1], below[2]));              \
    }

// Element (A, B) of the Hessian into `out`.
#define HESSIAN_AT(M, A, B, out)                                                \
    {                                                                           \
        const int p[3] = {x, y, z};                                             \
        const int n[3] = {nx, ny, nz};                                          \
        const Taps tb = gradient_taps(p[B], n[B], p[B]);                        \
        int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};                               \
        lo[B] = tb.low;                                                         \
        hi[B] = tb.high;                                                        \
        TYPE_##M(float) at_high, at_low;                                        \
        GRADIENT_AT(M, A, hi[0], hi[1], hi[2], at_high)                         \
        GRADIENT_AT(M, A, lo[0], lo[1], lo[2], at_low)                          \
        out = tb.scale * (at_high - at_low);                                    \
    }

// One Jacobi rotation of the symmetric 3x3 matrix m that zeroes m[P][Q] (R
// the third index), branch-free: no rotation where m[P][Q] is 0.
#define JACOBI_ROTATE(M, P, Q, R)                                               \
    {                                                                           \
        const TYPE_##M(float) apq = m[P][Q];                                    \
        const TYPE_##M(float) theta = (m[Q][Q] - m[P][P]) / (2.0f * apq);       \
        const TYPE_##M(float) t0 = sign(theta) / (fabs(theta) + sqrt(theta * theta + 1.0f)); \
        const TYPE_##M(float) t1 = theta == 0.0f ? 1.0f : t0;                   \
        const TYPE_##M(float) t = apq != 0.0f ? t1 : 0.0f;                      \
        const TYPE_##M(float) c = rsqrt(t * t + 1.0f), s = t * c;               \
        m[P][P] -= t * apq;                                                     \
        m[Q][Q] += t * apq;                                                     \
        m[P][Q] = 0.0f;                                                         \
        const TYPE_##M(float) arp = m[R][P], arq = m[R][Q];                     \
        m[R][P] = c * arp - s * arq;                                            \
        m[R][Q] = s * arp + c * arq;                                            \
        m[P][R] = m[R][P];                                                      \
        m[Q][R] = m[R][Q];                                                      \
        m[Q][P] = 0.0f;                                                         \
    }

#define SORT_DESCENDING(M, a, b)                                                \
    { const TYPE_##M(float) high = fmax(a, b), low = fmin(a, b); a = high; b = low; }

// The eigenvalues of the Hessian of `g` (the blurred image), in decreasing
// order, into DIMENSIONS planes of `dst`: closed form in 2D (scikit-image's),
// cyclic Jacobi rotations in 3D (accurate to float32 rounding also where
// eigenvalues nearly coincide, which the trigonometric formula is not).
#if DIMENSIONS == 2
#define HESSIAN_BODY(M, UNUSED)                                                 \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(float) hyy, hyx, hxx;                                              \
    HESSIAN_AT(M, 1, 1, hyy)                                                    \
    HESSIAN_AT(M, 1, 0, hyx)                                                    \
    HESSIAN_AT(M, 0, 0, hxx)                                                    \
    const TYPE_##M(float) mean = (hyy + hxx) * 0.5f;                            \
    const TYPE_##M(float) half_difference = (hyy - hxx) * 0.5f;                 \
    const TYPE_##M(float) root = sqrt(hyx * hyx + half_difference * half_difference); \
    STORE_##M(mean + root, dst, here);                                          \
    STORE_##M(mean - root, dst, size + here);
#else
// numpy order (z, y, x); element (a, b) is the gradient along b of the
// gradient along a, as scikit-image takes it for a <= b in numpy order.
#define HESSIAN_BODY(M, UNUSED)                                                 \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(float) m[3][3];                                                    \
    HESSIAN_AT(M, 2, 2, m[0][0])                                                \
    HESSIAN_AT(M, 2, 1, m[0][1])                                                \
    HESSIAN_AT(M, 2, 0, m[0][2])                                                \
    HESSIAN_AT(M, 1, 1, m[1][1])                                                \
    HESSIAN_AT(M, 1, 0, m[1][2])                                                \
    HESSIAN_AT(M, 0, 0, m[2][2])                                                \
    m[1][0] = m[0][1];                                                          \
    m[2][0] = m[0][2];                                                          \
    m[2][1] = m[1][2];                                                          \
    _Pragma("unroll")                                                           \
    for (int sweep = 0; sweep < 4; ++sweep) {                                   \
        JACOBI_ROTATE(M, 0, 1, 2)                                               \
        JACOBI_ROTATE(M, 0, 2, 1)                                               \
        JACOBI_ROTATE(M, 1, 2, 0)                                               \
    }                                                                           \
    TYPE_##M(float) e0 = m[0][0], e1 = m[1][1], e2 = m[2][2];                   \
    SORT_DESCENDING(M, e0, e1)                                                  \
    SORT_DESCENDING(M, e1, e2)                                                  \
    SORT_DESCENDING(M, e0, e1)                                                  \
    STORE_##M(e0, dst, here);                                                   \
    STORE_##M(e1, dst, size + here);                                            \
    STORE_##M(e2, dst, 2 * size + here);
#endif

__kernel void hessian_eigenvalues(__global const float *g, __global float *dst,
                                  const int nx, const int ny, const int nz)
{
    VECTOR_FRAME(2, HESSIAN_BODY, 0)
}

// --- Ridge filters (Sato, Meijering) ---------------------------------------------------
// From the Hessian's elements (scikit-image's order: h0, h1, h2 = yy, yx, xx in
// 2D; zz, zy, zx, yy, yx, xx in 3D), each times `flip` (1 for black ridges, -1
// for white ones): the eigenvalues e0 >= e1 (>= e2).
#if DIMENSIONS == 2
#define RIDGE_EIGENVALUES(M)                                                    \
    const TYPE_##M(float) hyy = flip * LOAD_##M(h0, here);                      \
    const TYPE_##M(float) hyx = flip * LOAD_##M(h1, here);                      \
    const TYPE_##M(float) hxx = flip * LOAD_##M(h2, here);                      \
    const TYPE_##M(float) half_difference = (hyy - hxx) * 0.5f;                 \
    const TYPE_##M(float) root = sqrt(hyx * hyx + half_difference * half_difference); \
    const TYPE_##M(float) e0 = (hyy + hxx) * 0.5f + root;                       \
    const TYPE_##M(float) e1 = (hyy + hxx) * 0.5f - root;
#define HESSIAN_PLANES __global const float *h0, __global const float *h1,      \
                       __global const float *h2
// Sato: the geometric mean of the eigenvalues but the smallest, clipped to 0.
#define SATO_VALUE(M) fmax(e0, 0.0f)
// Meijering: l_i = e_i + alpha * (the other eigenvalues), the l of largest
// magnitude (the first of ties), clipped to 0, as `value`.
#define MEIJERING_VALUE(M)                                                      \
    const TYPE_##M(float) l0 = e0 + alpha * e1, l1 = e1 + alpha * e0;           \
    const TYPE_##M(float) value = fmax(fabs(l1) > fabs(l0) ? l1 : l0, 0.0f);
#else
#define RIDGE_EIGENVALUES(M)                                                    \
    TYPE_##M(float) m[3][3];                                                    \
    m[0][0] = flip * LOAD_##M(h0, here);                                        \
    m[0][1] = flip * LOAD_##M(h1, here);                                        \
    m[0][2] = flip * LOAD_##M(h2, here);                                        \
    m[1][1] = flip * LOAD_##M(h3, here);                                        \
    m[1][2] = flip * LOAD_##M(h4, here);                                        \
    m[2][2] = flip * LOAD_##M(h5, here);                                        \
    m[1][0] = m[0][1];                                                          \
    m[2][0] = m[0][2];                                                          \
    m[2][1] = m[1][2];                                                          \
    _Pragma("unroll")                                                           \
    for (int sweep = 0; sweep < 4; ++sweep) {                                   \
        JACOBI_ROTATE(M, 0, 1, 2)                                               \
        JACOBI_ROTATE(M, 0, 2, 1)                                               \
        JACOBI_ROTATE(M, 1, 2, 0)                                               \
    }                                                                           \
    TYPE_##M(float) e0 = m[0][0], e1 = m[1][1], e2 = m[2][2];                   \
    SORT_DESCENDING(M, e0, e1)                                                  \
    SORT_DESCENDING(M, e1, e2)                                                  \
    SORT_DESCENDING(M, e0, e1)
#define HESSIAN_PLANES __global const float *h0, __global const float *h1,      \
                       __global const float *h2, __global const float *h3,      \
                       __global const float *h4, __global const float *h5
#define SATO_VALUE(M) sqrt(fmax(e0, 0.0f) * fmax(e1, 0.0f))
#define MEIJERING_VALUE(M)                                                      \
    const TYPE_##M(float) l0 = e0 + alpha * (e1 + e2);                          \
    const TYPE_##M(float) l1 = e1 + alpha * (e0 + e2);                          \
    const TYPE_##M(float) l2 = e2 + alpha * (e0 + e1);                          \
    const TYPE_##M(float) l01 = fabs(l1) > fabs(l0) ? l1 : l0;                  \
    const TYPE_##M(float) value = fmax(fabs(l2) > fabs(l01) ? l2 : l01, 0.0f);
#endif

// One scale of the Sato filter: dst becomes the maximum of dst and `scale`
// times the Sato value.
#define SATO_BODY(M, UNUSED)                                                    \
    RIDGE_EIGENVALUES(M)                                                        \
    const TYPE_##M(float) value = scale * SATO_VALUE(M);                        \
    STORE_##M(fmax(LOAD_##M(dst, here), value), dst, here);

__kernel void sato_scale(HESSIAN_PLANES, __global float *dst, const float flip,
                         const float scale, const int nx, const int ny, const int nz)
{
    VECTOR_FRAME(0, SATO_BODY, 0)
}

// One scale of the Meijering filter, before its normalisation: the value into dst.
#define MEIJERING_BODY(M, UNUSED)                                               \
    RIDGE_EIGENVALUES(M)                                                        \
    MEIJERING_VALUE(M)                                                          \
    STORE_##M(value, dst, here);

__kernel void meijering_scale(HESSIAN_PLANES, __global float *dst, const float flip,
                              const float alpha, const int nx, const int ny, const int nz)
{
    VECTOR_FRAME(0, MEIJERING_BODY, 0)
}

// dst = max(dst, value / the largest value), value where that is 0; range holds
// the values' [minimum, maximum].
__kernel void normalised_maximum(__global const float *value, __global const float2 *range,
                                 __global float *dst)
{
    const size_t i = get_global_id(0);
    const float largest = range[0].y;
    dst[i] = fmax(dst[i], largest > 0.0f ? value[i] / largest : value[i]);
}
