"""Layer APIs: output sizes of convolution, transposed convolution and
pooling layers, the convolution matrix, linear, activations' gradients"""

POSITION = 3  # the third assignment of the course
