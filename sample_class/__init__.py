"""The bundled sample class: realistic submissions made from the released exercise"""
