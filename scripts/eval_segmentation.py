#!/usr/bin/python3
"""Scores a segmentation against ground truth: voxel Dice, nDSC (Raina et al. 2023, r = 0.001) and lesion-wise
recall/false positives (18-connected components; predicted components smaller than --min-lesion-voxels dropped).

  /usr/bin/python3 scripts/eval_segmentation.py OUT/probability.nii.gz test-images/demo/lesions.nii.gz --threshold 0.5
  /usr/bin/python3 scripts/eval_segmentation.py OUT/mask.nii.gz test-images/demo/lesions.nii.gz
"""
import argparse
import json
import os
import sys

import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_demo_model import metrics  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prediction", help="mask (values > 0.5) or probability map (with --threshold)")
    ap.add_argument("truth")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--min-lesion-voxels", type=int, default=6)
    a = ap.parse_args()
    pred = nib.load(a.prediction).get_fdata(dtype=np.float32)
    gt = nib.load(a.truth).get_fdata(dtype=np.float32) > 0.5
    print(json.dumps(metrics(pred, gt, a.threshold, a.min_lesion_voxels)))


if __name__ == "__main__":
    main()
