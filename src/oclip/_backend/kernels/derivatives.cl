// Derivative filters on 3x3(x3) neighbourhoods: the Sobel gradient magnitude
// and the eigenvalues of the Hessian.  Build options: T_IN (element type),
// DIMENSIONS (2 or 3: a 2D image is one plane, nz = 1, and has no z terms).

#include "neighbourhood.clh"

#if DIMENSIONS == 3
#define DZ_RANGE 1
#else
#define DZ_RANGE 0
#endif

// sqrt(gx^2 + gy^2 (+ gz^2)) with g the Sobel derivative along each axis:
// [-1, 0, 1] along it, smoothed with [1, 2, 1] along the others (as
// scipy.ndimage.sobel, per axis); borders replicate the edge pixel.
__kernel void sobel(__global const T_IN *src, __global float *dst,
                    const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    float gx = 0.0f, gy = 0.0f, gz = 0.0f;
    for (int dz = -DZ_RANGE; dz <= DZ_RANGE; ++dz) {
        const long plane = (long)clamp(z + dz, 0, nz - 1) * ny;
        const float sz = DZ_RANGE ? (float)(2 - abs(dz)) : 1.0f;
        for (int dy = -1; dy <= 1; ++dy) {
            const long row = (plane + clamp(y + dy, 0, ny - 1)) * nx;
            const float sy = (float)(2 - abs(dy));
            const float left = (float)src[row + max(x - 1, 0)];
            const float centre = (float)src[row + x];
            const float right = (float)src[row + min(x + 1, nx - 1)];
            const float smoothed = left + 2.0f * centre + right;
            gx += sy * sz * (right - left);
            gy += (float)dy * sz * smoothed;
            gz += (float)dz * sy * smoothed;
        }
    }
    dst[here] = sqrt(gx * gx + gy * gy + gz * gz);
}

// --- Hessian -------------------------------------------------------------------
// Derivatives as numpy.gradient takes them: (f[i+1] - f[i-1]) / 2 inside,
// f[1] - f[0] and f[n-1] - f[n-2] at the ends, 0 along an axis of length 1.
// The Hessian's element (a, b) is the gradient along b of the gradient along
// a (scikit-image's hessian_matrix with use_gaussian_derivatives=False).

typedef struct { int low, high; float scale; } Taps;

inline Taps gradient_taps(const int i, const int n)
{
    Taps t;
    t.low = max(i - 1, 0);
    t.high = min(i + 1, n - 1);
    t.scale = n == 1 ? 0.0f : (i == 0 || i == n - 1) ? 1.0f : 0.5f;
    return t;
}

// The gradient along axis a (0 = x, 1 = y, 2 = z) of `g` at (px, py, pz).
inline float gradient_at(__global const float *g, const int a, const int px, const int py,
                         const int pz, const int nx, const int ny, const int nz)
{
    const int p[3] = {px, py, pz};
    const int n[3] = {nx, ny, nz};
    const long stride[3] = {1, nx, (long)nx * ny};
    const Taps t = gradient_taps(p[a], n[a]);
    const long base = ((long)pz * ny + py) * nx + px - p[a] * stride[a];
    return t.scale * (g[base + t.high * stride[a]] - g[base + t.low * stride[a]]);
}

// Element (a, b) of the Hessian at (x, y, z).
inline float hessian_at(__global const float *g, const int a, const int b, const int x,
                        const int y, const int z, const int nx, const int ny, const int nz)
{
    const int p[3] = {x, y, z};
    const int n[3] = {nx, ny, nz};
    const Taps t = gradient_taps(p[b], n[b]);
    int low[3] = {x, y, z}, high[3] = {x, y, z};
    low[b] = t.low;
    high[b] = t.high;
    return t.scale * (gradient_at(g, a, high[0], high[1], high[2], nx, ny, nz)
                      - gradient_at(g, a, low[0], low[1], low[2], nx, ny, nz));
}

// One Jacobi rotation of the symmetric 3x3 matrix m (row-major) that zeroes
// m[p][q]; `r` is the third index.
#define JACOBI_ROTATE(p, q, r)                                                  \
    {                                                                           \
        const float apq = m[p][q];                                              \
        if (apq != 0.0f) {                                                      \
            const float theta = (m[q][q] - m[p][p]) / (2.0f * apq);            \
            const float t = sign(theta) / (fabs(theta) + sqrt(theta * theta + 1.0f)); \
            const float t1 = theta == 0.0f ? 1.0f : t;                          \
            const float c = rsqrt(t1 * t1 + 1.0f), s = t1 * c;                  \
            m[p][p] -= t1 * apq;                                                \
            m[q][q] += t1 * apq;                                                \
            m[p][q] = m[q][p] = 0.0f;                                           \
            const float arp = m[r][p], arq = m[r][q];                           \
            m[r][p] = m[p][r] = c * arp - s * arq;                              \
            m[r][q] = m[q][r] = s * arp + c * arq;                              \
        }                                                                       \
    }

#define SORT_DESCENDING(a, b)                                                   \
    { const float hi = fmax(a, b), lo = fmin(a, b); a = hi; b = lo; }

// The eigenvalues of the Hessian of `g` (the blurred image), in decreasing
// order, into DIMENSIONS planes of `dst`: closed form in 2D (scikit-image's),
// cyclic Jacobi rotations in 3D (accurate to float32 rounding also where
// eigenvalues nearly coincide, which the trigonometric formula is not).
__kernel void hessian_eigenvalues(__global const float *g, __global float *dst,
                                  const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    const long size = (long)nx * ny * nz;
#if DIMENSIONS == 2
    const float hyy = hessian_at(g, 1, 1, x, y, z, nx, ny, nz);
    const float hyx = hessian_at(g, 1, 0, x, y, z, nx, ny, nz);
    const float hxx = hessian_at(g, 0, 0, x, y, z, nx, ny, nz);
    const float mean = (hyy + hxx) * 0.5f;
    const float half_difference = (hyy - hxx) * 0.5f;
    const float root = sqrt(hyx * hyx + half_difference * half_difference);
    dst[here] = mean + root;
    dst[size + here] = mean - root;
#else
    // numpy order (z, y, x); the matrix is symmetric up to rounding: element
    // (a, b) is the gradient along b of the gradient along a, as scikit-image
    // takes it for a <= b in numpy order.
    float m[3][3];
    m[0][0] = hessian_at(g, 2, 2, x, y, z, nx, ny, nz);
    m[0][1] = m[1][0] = hessian_at(g, 2, 1, x, y, z, nx, ny, nz);
    m[0][2] = m[2][0] = hessian_at(g, 2, 0, x, y, z, nx, ny, nz);
    m[1][1] = hessian_at(g, 1, 1, x, y, z, nx, ny, nz);
    m[1][2] = m[2][1] = hessian_at(g, 1, 0, x, y, z, nx, ny, nz);
    m[2][2] = hessian_at(g, 0, 0, x, y, z, nx, ny, nz);
    for (int sweep = 0; sweep < 6; ++sweep) {
        JACOBI_ROTATE(0, 1, 2)
        JACOBI_ROTATE(0, 2, 1)
        JACOBI_ROTATE(1, 2, 0)
    }
    float e0 = m[0][0], e1 = m[1][1], e2 = m[2][2];
    SORT_DESCENDING(e0, e1)
    SORT_DESCENDING(e1, e2)
    SORT_DESCENDING(e0, e1)
    dst[here] = e0;
    dst[size + here] = e1;
    dst[2 * size + here] = e2;
#endif
}
