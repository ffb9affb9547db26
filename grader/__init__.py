"""Autograder for the convolution, pooling and layer-API course"""
