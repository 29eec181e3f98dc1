"""Prints the dtype and shape of each .npy file: print_npy.py FILE..."""
import sys

import numpy as np

for path in sys.argv[1:]:
    array = np.load(path)
    print(f"{path.rsplit('/', 1)[-1]}: {array.dtype} {list(array.shape)}")
