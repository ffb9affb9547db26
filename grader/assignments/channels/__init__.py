"""Multiple input and output channels: cross-correlation over channels and
the 1 x 1 convolution as a matrix multiplication"""

POSITION = 1  # the first assignment of the course
