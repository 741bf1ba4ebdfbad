import logging, numpy as np, oclip
logging.basicConfig(level=logging.DEBUG, format="%(message)s")
logging.getLogger("pytools").setLevel(logging.WARNING)
logging.getLogger("pyopencl").setLevel(logging.WARNING)
img = oclip.data.blobs((20, 40, 50), count=10)
for dtype in (np.uint8, np.float32):
    im = (img * 100).astype(dtype)
    oclip.gaussian_blur(im); oclip.top_hat_box(im); oclip.maximum_sphere(im); oclip.maximum_z_projection(im)
    oclip.connected_components_labeling(oclip.threshold_otsu(im)); oclip.add_images(im, im); oclip.multiply_image_and_scalar(im, scalar=2)
print("done")
