"""Pooling: max and average pooling by hand, padding and stride, pooling as a
convolution, the cost of a pooling layer, min and softmax pooling"""

POSITION = 2  # the second assignment of the course
