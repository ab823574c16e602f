#!/usr/bin/env python3
"""The hostile-input sweep of issue 12: runs the `ies` command line of a built IES checkout on a few hundred damaged,
lying, non-finite, mismatched or otherwise hostile inputs, output folders, model bundles, signals, concurrent runs and
killed batch parents, and sorts every outcome into:

  handled cleanly          a valid input gave the right result, or a bad one a one-line message and a non-zero exit,
                           with no user file changed and nothing left behind
  accepted but wrong       exit 0 with a result that differs from the reference (nibabel/numpy, python's gzip, a clean
                           run), or that holds NaN
  user files lost          a file the user gave (or owned) changed or disappeared
  message only a path      a failure whose message is only a path
  other                    anything else (a valid input refused, a multi-line message or stack trace, a hang,
                           leftovers, workers that outlive their parent, ...), listed case by case

Normally started by scripts/hostile-sweep (which makes a clean clone and builds it); needs python3 with numpy and
nibabel (Debian: python3-nibabel). Usage:
  hostile_sweep.py --ies-home CLONE --fixtures REPO --work DIR [--jobs N] [--quick]
"""
import argparse
import collections
import concurrent.futures
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile

import nibabel as nib
import numpy as np

CATEGORIES = ["handled cleanly", "accepted but wrong", "user files lost", "message only a path", "other"]


class Sweep:
    def __init__(self, home, fixtures, work, jobs):
        self.home = os.path.abspath(home)
        self.fixtures = os.path.abspath(fixtures)
        self.work = os.path.abspath(work)
        self.jobs = jobs
        jar = os.path.join(self.home, "target", "ies-fiji-0.1.0-SNAPSHOT.jar")
        with open(os.path.join(self.home, "target", "classpath.txt")) as f:
            cp = jar + ":" + f.read().strip()
        self.java = ["java", "-Xmx2g", "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                     "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", cp, "io.github.ies.cli.IesCli"]
        self.tiny = os.path.join(self.fixtures, "src/test/resources/model/tiny-bundle")
        self.nan_bundle = os.path.join(self.fixtures, "src/test/resources/model/nan-bundle")
        self.cases = []
        self.results = []
        self.lock = threading.Lock()
        self.counter = 0

    # ---------------------------------------------------------------- helpers
    def path(self, *p):
        return os.path.join(self.work, *p)

    def fresh(self, name):
        with self.lock:
            self.counter += 1
            d = self.path("cases", "%04d-%s" % (self.counter, re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60]))
        os.makedirs(d, exist_ok=True)
        return d

    def ies(self, args, timeout=300, cwd=None):
        t0 = time.time()
        try:
            p = subprocess.run(self.java + args, capture_output=True, text=True, timeout=timeout, cwd=cwd)
            return p.returncode, p.stdout, p.stderr, time.time() - t0
        except subprocess.TimeoutExpired as e:
            dec = lambda x: x.decode("utf-8", "replace") if isinstance(x, bytes) else (x or "")  # noqa: E731
            return None, dec(e.stdout), dec(e.stderr), time.time() - t0

    def popen(self, args, log):
        return subprocess.Popen(self.java + args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def digest(root):
        out = {}
        if root is None or not os.path.exists(root):
            return out
        if os.path.isfile(root):
            with open(root, "rb") as f:
                return {os.path.basename(root): hashlib.sha256(f.read()).hexdigest()}
        for dp, dn, fn in os.walk(root):
            for n in fn:
                p = os.path.join(dp, n)
                if not os.path.isfile(p):
                    continue
                with open(p, "rb") as f:
                    out[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
        return out

    @staticmethod
    def error_line(err):
        lines = [l for l in err.strip().splitlines() if l.strip()]
        errs = [l for l in lines if ": error: " in l or ": usage error: " in l]
        return errs, lines

    @staticmethod
    def only_path(msg):
        m = msg.strip()
        return m == "" or re.fullmatch(r"[~./]?[^\s:]*(/[^\s:]*)*", m) is not None and ("/" in m or "." in m or m == "")

    @staticmethod
    def leftovers(out):
        left = []
        if out and os.path.isdir(out):
            for dp, dn, fn in os.walk(out):
                for n in dn + fn:
                    if n.startswith(".ies-") or n.endswith(".part"):
                        left.append(os.path.relpath(os.path.join(dp, n), out))
        return left

    # ---------------------------------------------------------------- outcome
    def record(self, area, name, category, detail=""):
        with self.lock:
            self.results.append((area, name, category, detail))

    def judge(self, area, name, rc, err, expect, user_before, user_roots, out=None, out_existed=False, check=None,
              extra_ok=True, extra_detail=""):
        """Classifies one run. expect: 'refuse', 'accept' or a callable deciding from (rc) which is expected."""
        after = {}
        for r in user_roots:
            after.update({r + "/" + k: v for k, v in self.digest(r).items()})
        lost = [k for k, v in user_before.items() if after.get(k) != v]
        if lost:
            return self.record(area, name, "user files lost", "changed or gone: " + ", ".join(lost[:5]))
        if rc is None:
            return self.record(area, name, "other", "no exit within the time limit (hang)")
        errs, lines = self.error_line(err)
        if rc != 0:
            if not errs:
                return self.record(area, name, "other", "exit %s without an error line: %r" % (rc, err[-300:]))
            msg = errs[-1].split(": error: ", 1)[-1].split(": usage error: ", 1)[-1]
            if self.only_path(msg):
                return self.record(area, name, "message only a path", errs[-1])
            if "Exception" in err and "\tat " in err:
                return self.record(area, name, "other", "stack trace: " + errs[-1])
            if len(errs) > 1 and not errs[-1].startswith("ies batch"):
                return self.record(area, name, "other", "several error lines: " + " | ".join(errs))
            left = self.leftovers(out)
            if left:
                return self.record(area, name, "other", "leftovers " + str(left) + " after: " + errs[-1])
            if out and not out_existed and os.path.exists(out) and not os.listdir(out):
                return self.record(area, name, "other", "an empty output folder is left: " + out)
            if expect == "accept":
                return self.record(area, name, "other", "a valid input was refused: " + errs[-1])
            return self.record(area, name, "handled cleanly", errs[-1])
        # rc == 0
        if expect == "refuse":
            return self.record(area, name, "accepted but wrong", "exit 0 where a refusal was expected " + extra_detail)
        if check is not None:
            ok, why = check()
            if not ok:
                return self.record(area, name, "accepted but wrong", why)
        if not extra_ok:
            return self.record(area, name, "other", extra_detail)
        left = self.leftovers(out)
        if left:
            return self.record(area, name, "other", "leftovers after success: " + str(left))
        return self.record(area, name, "handled cleanly", "exit 0, result checked")

    # ---------------------------------------------------------------- base data
    def prepare(self):
        base = self.path("base")
        if os.path.exists(self.path("cases")):
            shutil.rmtree(self.path("cases"))
        os.makedirs(base, exist_ok=True)
        s1 = os.path.join(base, "s1")
        if not os.path.exists(os.path.join(s1, "flair.nii.gz")):
            rc, o, e, _ = self.ies(["phantom", "--out", s1, "--seed", "7", "--shape", "48,48,40", "--spacing", "4", "--lesions", "6", "-q"])
            if rc != 0:
                sys.exit("cannot make the base phantom: " + e)
        self.s1 = s1
        flair = nib.load(os.path.join(s1, "flair.nii.gz"))
        # float32 copies (uncompressed and gzipped) for the voxel-level cases
        self.aff = flair.affine
        self.f32 = np.asarray(flair.get_fdata(), dtype=np.float32)
        self.m32 = np.asarray(nib.load(os.path.join(s1, "mprage.nii.gz")).get_fdata(), dtype=np.float32)
        self.gt = np.asarray(nib.load(os.path.join(s1, "lesions.nii.gz")).get_fdata(), dtype=np.uint8)
        self.brain = np.asarray(nib.load(os.path.join(s1, "brainmask.nii.gz")).get_fdata(), dtype=np.uint8)

    def save(self, arr, path, dtype=None, affine=None, hdr_patch=None):
        a = arr.astype(dtype) if dtype is not None else arr
        img = nib.Nifti1Image(a, self.aff if affine is None else affine, dtype=a.dtype)
        img.header.set_qform(self.aff if affine is None else affine, 1)
        img.header.set_sform(self.aff if affine is None else affine, 1)
        img.header["xyzt_units"] = 10
        if hdr_patch:
            hdr_patch(img.header)
        nib.save(img, path)
        return path

    def subject(self, d, flair=None, mprage=None, gz=True):
        ext = ".nii.gz" if gz else ".nii"
        f = self.save(self.f32 if flair is None else flair, os.path.join(d, "flair" + ext), np.float32)
        m = self.save(self.m32 if mprage is None else mprage, os.path.join(d, "mprage" + ext), np.float32)
        return f, m

    @staticmethod
    def patch_bytes(path, patches, out):
        """Raw byte patches (offset -> bytes) of an uncompressed file, written to out."""
        with open(path, "rb") as f:
            b = bytearray(f.read())
        for off, val in patches:
            b[off:off + len(val)] = val
        with open(out, "wb") as f:
            f.write(b)
        return out

    def seg_args(self, f, m, out, *extra, model=None):
        return ["segment", "--model", model or self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", out,
                "--device", "cpu", "--threads", "1", "--quiet"] + list(extra)

    # ---------------------------------------------------------------- info reference
    def info_check(self, out_text, ref_path=None, ref_arr=None):
        def chk():
            try:
                j = json.loads(out_text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError("non-JSON constant " + c)))
            except ValueError as e:
                return False, "ies info --json printed invalid JSON: %s" % e
            arr = ref_arr
            if arr is None:
                try:
                    img = nib.load(ref_path)
                    arr = np.asarray(img.dataobj, dtype=np.float64)
                    if arr.ndim > 3:
                        arr = arr.reshape(arr.shape[:3] + (-1,))[..., 0]
                except Exception as e:  # noqa: BLE001
                    return False, "ies accepted a file that nibabel cannot read (%s)" % e
            a = arr[~np.isnan(arr)]
            if a.size == 0:
                return (j["min"] is None), "all-NaN stats"
            want = [float(a.min()), float(a.max()), float(a.mean())]
            for k, w in zip(["min", "max", "mean"], want):
                g = j[k]
                if isinstance(g, str):
                    g = float(g.replace("Infinity", "inf"))
                if g is None or not (abs(g - w) <= 1e-4 * max(1.0, abs(w)) or (np.isinf(w) and g == w)):
                    return False, "%s is %s, the reference says %s" % (k, j[k], w)
            return True, ""
        return chk

    # ---------------------------------------------------------------- areas
    def run_info_case(self, area, name, path, expect, ref_path=None, ref_arr=None, user=None):
        before = {}
        roots = [user] if user else []
        for r in roots:
            before.update({r + "/" + k: v for k, v in self.digest(r).items()})
        rc, out, err, _ = self.ies(["info", "--json", path], timeout=120)
        chk = self.info_check(out, ref_path=ref_path, ref_arr=ref_arr) if rc == 0 else None
        self.judge(area, name, rc, err, expect, before, roots, check=chk)

    def run_seg_case(self, area, name, args, expect, out, user_roots, check=None):
        before = {}
        for r in user_roots:
            before.update({r + "/" + k: v for k, v in self.digest(r).items()})
        existed = os.path.exists(out) if out else False
        rc, o, err, _ = self.ies(args, timeout=600)
        self.judge(area, name, rc, err, expect, before, user_roots, out=out, out_existed=existed,
                   check=(lambda: check(rc, o, err)) if (check and rc == 0) else None)

    def add(self, fn, *a):
        self.cases.append((fn, a))

    def truncations(self, quick):
        area = "truncations"
        src_gz = os.path.join(self.s1, "flair.nii.gz")
        with open(src_gz, "rb") as f:
            gzb = f.read()
        d = self.fresh("trunc")
        plain = self.save(self.f32, os.path.join(d, "plain.nii"), np.float32)
        with open(plain, "rb") as f:
            pb = f.read()
        fr = [0.0005, 0.002, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]
        for x in fr + [None, -1, -4, -7, -8, -9]:
            n = int(len(gzb) * x) if isinstance(x, float) else (len(gzb) + x if x is not None else len(gzb) - 1)
            p = os.path.join(d, "gz-%d.nii.gz" % n)
            with open(p, "wb") as f:
                f.write(gzb[:n])
            self.add(self.run_info_case, area, "gzip cut to %d of %d bytes" % (n, len(gzb)), p, "refuse")
        for x in [0.001, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999]:
            n = int(len(pb) * x)
            p = os.path.join(d, "plain-%d.nii" % n)
            with open(p, "wb") as f:
                f.write(pb[:n])
            self.add(self.run_info_case, area, ".nii cut to %d of %d bytes" % (n, len(pb)), p, "refuse")
        for x in ([0.5, 0.9, 0.999] if not quick else [0.9]):
            sd = self.fresh("trunc-seg")
            f, m = self.subject(sd)
            with open(f, "rb") as fh:
                b = fh.read()
            with open(f, "wb") as fh:
                fh.write(b[:int(len(b) * x)])
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, "segment on a FLAIR cut at %.1f%%" % (100 * x), self.seg_args(f, m, out), "refuse", out, [sd])

    def bitflips(self, quick):
        area = "bit flips"
        src = os.path.join(self.s1, "flair.nii.gz")
        with open(src, "rb") as f:
            gzb = f.read()
        ref = gzip.decompress(gzb)
        ref_arr = np.asarray(nib.load(src).dataobj, dtype=np.float64)
        rnd = random.Random(20261201)
        d = self.fresh("flips")
        n = 30 if quick else 90
        for t in range(n):
            b = bytearray(gzb)
            pos = t if t < 12 else rnd.randrange(len(b))
            bit = rnd.randrange(8)
            b[pos] ^= 1 << bit
            try:
                same = gzip.decompress(bytes(b)) == ref
            except Exception:  # noqa: BLE001
                same = False
            p = os.path.join(d, "flip-%d-%d.nii.gz" % (pos, bit))
            with open(p, "wb") as f:
                f.write(b)
            self.add(self.run_info_case, area, "bit %d of byte %d flipped (%s)" % (bit, pos, "harmless" if same else "damaging"), p,
                     "accept" if same else "refuse", None, ref_arr if same else None)
        for t in range(8 if quick else 20):
            b = bytearray(gzb)
            pos = rnd.randrange(20, len(b) - 8)
            for k in range(8):
                b[pos + k] = rnd.randrange(256)
            p = os.path.join(d, "garbage-%d.nii.gz" % pos)
            with open(p, "wb") as f:
                f.write(b)
            try:
                same = gzip.decompress(bytes(b)) == ref
            except Exception:  # noqa: BLE001
                same = False
            self.add(self.run_info_case, area, "8 random bytes at %d" % pos, p, "accept" if same else "refuse", None, ref_arr if same else None)
        for t in range(2 if quick else 5):
            sd = self.fresh("flip-seg")
            f, m = self.subject(sd)
            with open(f, "rb") as fh:
                b = bytearray(fh.read())
            pos = [len(b) - 8, len(b) - 3, len(b) // 2, len(b) // 3, 200][t]
            b[pos] ^= 0x10
            with open(f, "wb") as fh:
                fh.write(b)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, "segment on a FLAIR with byte %d flipped" % pos, self.seg_args(f, m, out), "refuse", out, [sd])

    def lying_headers(self, quick):
        area = "lying headers"
        d = self.fresh("lies")
        plain = self.save(self.f32, os.path.join(d, "ok.nii"), np.float32)
        i16 = self.save(np.round(self.f32).astype(np.int16), os.path.join(d, "ok16.nii"), np.int16)
        P = lambda fmt, v: struct.pack("<" + fmt, v)  # noqa: E731
        cases = [
            ("dim[1] doubled", plain, [(42, P("h", 96))]), ("dim[2] doubled", plain, [(44, P("h", 96))]),
            ("dim[3] doubled", plain, [(46, P("h", 80))]), ("dim[1] halved", plain, [(42, P("h", 24))]),
            ("dim[3] halved", plain, [(46, P("h", 20))]), ("dims 30000^3", plain, [(42, P("h", 30000)), (44, P("h", 30000)), (46, P("h", 30000))]),
            ("dim[0] = 0", plain, [(40, P("h", 0))]), ("dim[0] = 8", plain, [(40, P("h", 8))]), ("dim[0] = -1", plain, [(40, P("h", -1))]),
            ("dim[2] = -5", plain, [(44, P("h", -5))]), ("dim[1] = 0", plain, [(42, P("h", 0))]),
            ("4D claiming 2 volumes", plain, [(40, P("h", 4)), (48, P("h", 2))]), ("4D claiming 1000 volumes", plain, [(40, P("h", 4)), (48, P("h", 1000))]),
            ("float32 data called float64", plain, [(70, P("h", 64)), (72, P("h", 64))]),
            ("float32 data called int16", plain, [(70, P("h", 4)), (72, P("h", 16))]),
            ("float32 data called uint8", plain, [(70, P("h", 2)), (72, P("h", 8))]),
            ("int16 data called float32", i16, [(70, P("h", 16)), (72, P("h", 32))]),
            ("datatype complex64", plain, [(70, P("h", 32))]), ("datatype rgb24", plain, [(70, P("h", 128))]),
            ("datatype uint64", plain, [(70, P("h", 1280))]), ("datatype 0", plain, [(70, P("h", 0))]),
            ("datatype 9999", plain, [(70, P("h", 9999))]), ("bitpix wrong", plain, [(72, P("h", 8))]),
            ("vox_offset 0", plain, [(108, P("f", 0.0))]), ("vox_offset 100", plain, [(108, P("f", 100.0))]),
            ("vox_offset 1e12", plain, [(108, P("f", 1e12))]), ("vox_offset -16", plain, [(108, P("f", -16.0))]),
            ("vox_offset NaN", plain, [(108, P("f", float("nan")))]), ("vox_offset 1e30", plain, [(108, P("f", 1e30))]),
            ("vox_offset 356", plain, [(108, P("f", 356.0))]),
            ("scl_slope NaN", i16, [(112, P("f", float("nan")))]), ("scl_slope 0", i16, [(112, P("f", 0.0))]),
            ("scl_slope Inf", i16, [(112, P("f", float("inf")))]), ("scl_slope 1e38", i16, [(112, P("f", 1e38))]),
            ("scl_slope -1e38", i16, [(112, P("f", -1e38))]), ("scl_inter NaN", i16, [(112, P("f", 2.0)), (116, P("f", float("nan")))]),
            ("scl_inter Inf", i16, [(112, P("f", 2.0)), (116, P("f", float("inf")))]),
            ("sizeof_hdr 349", plain, [(0, P("i", 349))]), ("sizeof_hdr 0", plain, [(0, P("i", 0))]),
            ("magic n+2 on NIfTI-1", plain, [(344, b"n+2\0")]), ("magic blank", plain, [(344, b"\0\0\0\0")]),
            ("magic ni1 (pair) in one file", plain, [(344, b"ni1\0")]),
        ]
        for name, src, patches in cases:
            p = self.patch_bytes(src, patches, os.path.join(d, re.sub(r"\W+", "_", name) + ".nii"))
            # expectation: refuse, unless nibabel reads it to the same values (then reading it is right); with
            # vox_offset 0 in a single file nibabel reads the header bytes as data, while the data written lies at
            # 352, where IES reads it: the written data is the reference there
            truth = self.f32.astype(np.float64) if name == "vox_offset 0" else None
            self.add(self.run_lie_case, area, name + (" (reference: the written data)" if truth is not None else ""), p, truth)
        for name, src, patches in (cases[:6] if not quick else cases[:2]) + [cases[13], cases[33], cases[25]]:
            sd = self.fresh("lie-seg")
            f, m = self.subject(sd, gz=False)
            tgt = os.path.join(sd, "flair.nii")
            self.patch_bytes(f if src == plain else src, patches, tgt)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, "segment: FLAIR with " + name, self.seg_args(tgt, m, out), "refuse", out, [sd])

    def run_lie_case(self, area, name, path, truth=None):
        """ies info on a lying header: refusing is always safe; reading it is right only when the values are nibabel's
        as float32 (IES holds voxels as float32: a scaled value beyond +-3.4e38 is +-Infinity, counted in inf_voxels
        and refused by every run), or the written data (truth) where nibabel itself misreads the file."""
        try:
            img = nib.load(path)
            arr = np.asarray(img.dataobj, dtype=np.float64)
            if arr.ndim > 3:
                arr = arr.reshape(arr.shape[:3] + (-1,))[..., 0]
            with np.errstate(over="ignore"):
                arr = arr.astype(np.float32).astype(np.float64)
            ok = arr.ndim == 3
        except Exception:  # noqa: BLE001
            arr, ok = None, False
        if truth is not None:
            arr, ok = truth, True
        self.run_info_case(area, name, path, "either" if ok else "refuse", None, arr if ok else None)

    def nonfinite(self, quick):
        area = "non-finite values"
        idx = (24, 24, 20)

        def with_value(arr, v):
            a = arr.copy()
            a[idx] = v
            return a

        variants = [("NaN voxel in FLAIR", "flair", float("nan")), ("+Inf voxel in FLAIR", "flair", float("inf")),
                    ("-Inf voxel in FLAIR", "flair", float("-inf")), ("NaN voxel in MPRAGE", "mprage", float("nan")),
                    ("+Inf voxel in MPRAGE", "mprage", float("inf")), ("-Inf voxel in MPRAGE", "mprage", float("-inf"))]
        for name, ch, v in variants:
            for policy in ["error", "zero"]:
                sd = self.fresh("nf")
                f, m = self.subject(sd, flair=with_value(self.f32, v) if ch == "flair" else None,
                                    mprage=with_value(self.m32, v) if ch == "mprage" else None)
                out = os.path.join(sd, "out")
                if policy == "error":
                    self.add(self.run_seg_case, area, name, self.seg_args(f, m, out), "refuse", out, [sd])
                else:
                    self.add(self.run_seg_case, area, name + " with --non-finite zero", self.seg_args(f, m, out, "--non-finite", "zero"),
                             "accept", out, [sd], self.finite_probability(out, expect_warning=ch.upper()))
        sd = self.fresh("nf-allnan")
        f, m = self.subject(sd, flair=np.full_like(self.f32, np.nan))
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "all-NaN FLAIR", self.seg_args(f, m, out), "refuse", out, [sd])
        sd = self.fresh("nf-slope")
        f, m = self.subject(sd)
        i16 = self.save(np.round(self.f32).astype(np.int16), os.path.join(sd, "flair16.nii"), np.int16)
        self.patch_bytes(i16, [(112, struct.pack("<f", 1e38))], i16)
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "scl_slope 1e38", self.seg_args(i16, m, out), "refuse", out, [sd])
        sd = self.fresh("nf-f64")
        f, m = self.subject(sd)
        a = self.f32.astype(np.float64)
        a[idx] = 1e300
        f64 = self.save(a, os.path.join(sd, "flair64.nii.gz"), np.float64)
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "float64 voxel 1e300", self.seg_args(f64, m, out), "refuse", out, [sd])
        for what, opt in [("ground truth", "--gt"), ("brain mask", "--brain-mask")]:
            sd = self.fresh("nf-mask")
            f, m = self.subject(sd)
            g = self.save(with_value(self.gt.astype(np.float32), float("nan")), os.path.join(sd, "mask.nii.gz"), np.float32)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, "NaN voxel in the " + what, self.seg_args(f, m, out, opt, g), "refuse", out, [sd])
        for policy in ["error", "zero"]:
            sd = self.fresh("nf-model")
            f, m = self.subject(sd)
            out = os.path.join(sd, "out")
            args = self.seg_args(f, m, out, model=self.nan_bundle) + (["--non-finite", "zero"] if policy == "zero" else [])
            self.add(self.run_seg_case, area, "a model that returns NaN (%s)" % policy, args, "refuse" if policy == "error" else "accept",
                     out, [sd], self.finite_probability(out, expect_warning="output channel") if policy == "zero" else None)
        sd = self.fresh("nf-model-explain")
        f, m = self.subject(sd)
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "explain with a model that returns NaN",
                 ["explain", "--model", self.nan_bundle, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", out, "--methods",
                  "smoothgrad-max", "--samples", "1", "--device", "cpu", "--quiet"], "refuse", out, [sd])

    def finite_probability(self, out, expect_warning):
        def chk(rc, o, err):
            p = os.path.join(out, "probability.nii.gz")
            if not os.path.exists(p):
                return False, "no probability map"
            a = np.asarray(nib.load(p).dataobj)
            if not np.all(np.isfinite(a)):
                return False, "%d non-finite probabilities" % int((~np.isfinite(a)).sum())
            if expect_warning and (expect_warning not in err or "warning" not in err):
                return False, "no warning naming %s: %r" % (expect_warning, err[-300:])
            with open(os.path.join(out, "lesions.csv")) as f:
                if "nan" in f.read().lower():
                    return False, "NaN in lesions.csv"
            return True, ""
        return chk

    def geometry(self, quick):
        area = "header geometry"
        P = lambda fmt, v: struct.pack("<" + fmt, v)  # noqa: E731
        nan, inf = float("nan"), float("inf")
        cases = [("pixdim[%d] NaN" % i, [(76 + 4 * i, P("f", nan))]) for i in (1, 2, 3)]
        cases += [("pixdim[%d] Inf" % i, [(76 + 4 * i, P("f", inf))]) for i in (1, 2, 3)]
        cases += [("pixdim[%d] 0" % i, [(76 + 4 * i, P("f", 0.0))]) for i in (1, 2, 3)]
        cases += [("quatern_%s NaN" % "bcd"[i], [(256 + 4 * i, P("f", nan))]) for i in range(3)]
        cases += [("qoffset_%s NaN" % "xyz"[i], [(268 + 4 * i, P("f", nan))]) for i in range(3)]
        cases += [("quaternion (1,1,1)", [(256, P("f", 1.0)), (260, P("f", 1.0)), (264, P("f", 1.0))]),
                  ("quaternion (0.9,0.9,0)", [(256, P("f", 0.9)), (260, P("f", 0.9))])]
        cases += [("srow_%s[%d] NaN" % ("xyz"[r], c), [(280 + 16 * r + 4 * c, P("f", nan))]) for r in range(3) for c in range(4)]
        cases += [("srow_%s[%d] Inf" % ("xyz"[r], r), [(280 + 16 * r + 4 * r, P("f", inf))]) for r in range(3)]
        cases += [("sform all zero", [(280 + 4 * k, P("f", 0.0)) for k in range(12)]),
                  ("sform rank 2", [(312 + 4 * k, P("f", 0.0)) for k in range(4)])]
        if quick:
            cases = cases[::3]
        for name, patches in cases:
            sd = self.fresh("geom")
            f, m = self.subject(sd, gz=False)
            tgt = os.path.join(sd, "flair-bad.nii")
            self.patch_bytes(f, patches, tgt)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, "segment: " + name, self.seg_args(tgt, m, out), "refuse", out, [sd])
        # unused qform: accepted with the sform's geometry (nibabel does the same)
        sd = self.fresh("geom-unused")
        f, m = self.subject(sd, gz=False)
        tgt = os.path.join(sd, "flair-q.nii")
        self.patch_bytes(f, [(252, P("h", 0)), (256, P("f", nan))], tgt)
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "NaN quaternion with qform_code 0 (unused)", self.seg_args(tgt, m, out), "accept", out, [sd],
                 self.finite_probability(out, expect_warning=""))

    def grids(self, quick):
        area = "mismatched grids"
        shifted = self.aff.copy()
        shifted[0, 3] += 1.0
        rot = self.aff.copy()
        rot[:3, :3] = rot[:3, :3] @ np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
        spacing = self.aff.copy()
        spacing[0, 0] *= 1.5
        flip = self.aff.copy()
        flip[0, 0] *= -1
        tiny = self.aff.copy()
        tiny[1, 3] += 1e-6
        variants = [("MPRAGE cropped along i", self.m32[:-1], None, "refuse"), ("MPRAGE cropped along j", self.m32[:, :-1], None, "refuse"),
                    ("MPRAGE cropped along k", self.m32[:, :, :-1], None, "refuse"), ("MPRAGE shifted 1 mm", self.m32, shifted, "refuse"),
                    ("MPRAGE rotated 90 degrees", self.m32, rot, "refuse"), ("MPRAGE spacing 1.5x", self.m32, spacing, "refuse"),
                    ("MPRAGE axis flipped", self.m32, flip, "refuse"), ("MPRAGE 1e-6 mm off (same grid)", self.m32, tiny, "accept")]
        for name, arr, aff, expect in variants:
            sd = self.fresh("grid")
            f, _ = self.subject(sd)
            m = self.save(arr, os.path.join(sd, "mprage-x.nii.gz"), np.float32, affine=aff)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, name, self.seg_args(f, m, out), expect, out, [sd],
                     self.finite_probability(out, expect_warning="") if expect == "accept" else None)
        for what, opt in [("ground truth", "--gt"), ("brain mask", "--brain-mask")]:
            for name, arr, aff in [("cropped", self.gt[:-1].astype(np.float32), None), ("shifted", self.gt.astype(np.float32), shifted)]:
                sd = self.fresh("grid-mask")
                f, m = self.subject(sd)
                g = self.save(arr, os.path.join(sd, "mask.nii.gz"), np.uint8, affine=aff)
                out = os.path.join(sd, "out")
                self.add(self.run_seg_case, area, "%s %s" % (what, name), self.seg_args(f, m, out, opt, g), "refuse", out, [sd])
        sd = self.fresh("grid-labels")
        f, m = self.subject(sd)
        g = self.save(self.gt[:, :, :-1], os.path.join(sd, "labels.nii.gz"), np.uint8)
        out = os.path.join(sd, "out")
        self.add(self.run_seg_case, area, "explain --labels on another grid",
                 ["explain", "--model", self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", g, "--out", out,
                  "--methods", "gradcampp", "--device", "cpu", "--quiet"], "refuse", out, [sd])

    def bundles(self, quick):
        area = "hostile bundles"
        with open(os.path.join(self.tiny, "ies-model.json")) as fh:
            meta = json.load(fh)

        def variant(name, mutate=None, model=b"copy", raw_json=None, expect="refuse"):
            sd = self.fresh("bundle")
            f, m = self.subject(sd)
            b = os.path.join(sd, "bundle")
            os.makedirs(b)
            if raw_json is not None:
                with open(os.path.join(b, "ies-model.json"), "w") as fh:
                    fh.write(raw_json)
            elif mutate is not False:
                j = json.loads(json.dumps(meta))
                if mutate:
                    mutate(j)
                with open(os.path.join(b, "ies-model.json"), "w") as fh:
                    json.dump(j, fh)
            if model == b"copy":
                shutil.copy(os.path.join(self.tiny, "model.pt"), os.path.join(b, "model.pt"))
            elif model == "dir":
                os.makedirs(os.path.join(b, "model.pt"))
            elif model == "fifo":
                os.mkfifo(os.path.join(b, "model.pt"))
            elif model is not None:
                with open(os.path.join(b, "model.pt"), "wb") as fh:
                    fh.write(model)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, name, self.seg_args(f, m, out, model=b), expect, out, [sd],
                     self.finite_probability(out, expect_warning="") if expect == "accept" else None)
            return b

        def setk(k, v):
            return lambda j: j.__setitem__(k, v)

        def delk(k):
            return lambda j: j.pop(k)

        variant("a valid copy", expect="accept")
        variant("no model.pt", model=None)
        variant("no ies-model.json", mutate=False)
        variant("model.pt empty", model=b"")
        variant("model.pt garbage", model=os.urandom(4096))
        variant("model.pt is a zip of nothing", model=b"PK\x05\x06" + b"\0" * 18)
        variant("model.pt is a folder", model="dir")
        variant("model.pt is a FIFO", model="fifo")
        variant("ies-model.json not JSON", raw_json="{ this is not json")
        variant("ies-model.json an array", raw_json="[1, 2]")
        variant("ies-model.json empty", raw_json="")
        variant("ies-model.json with NaN threshold", raw_json=json.dumps(meta).replace('"threshold": 0.5', '"threshold": NaN'))
        for k in ["format", "name", "inputs", "normalization", "patch_size", "activation", "lesion_channel", "threshold"]:
            variant("missing key " + k, delk(k))
        for k, v in [("format", "ies-model/2"), ("inputs", []), ("inputs", ["FLAIR", "flair"]), ("inputs", ["FLAIR"]),
                     ("inputs", ["FLAIR", "MPRAGE", "T2"]), ("inputs", "FLAIR"), ("normalization", "minmax"), ("patch_size", [16, 16]),
                     ("patch_size", [0, 16, 16]), ("patch_size", [-16, 16, 16]), ("patch_size", [16.5, 16, 16]), ("patch_size", [8192, 16, 16]),
                     ("patch_size", [15, 16, 16]), ("overlap", 1.0), ("overlap", -0.1), ("activation", "relu"), ("lesion_channel", 5),
                     ("lesion_channel", -1), ("threshold", 2), ("threshold", "0.5"), ("min_lesion_voxels", -3), ("connectivity", 7),
                     ("blending", "median"), ("features", "yes")]:
            variant("%s = %s" % (k, json.dumps(v)), setk(k, v))
        # zips
        for name, build, expect in [("a .zip that is not a zip", lambda z: open(z, "wb").write(b"not a zip at all"), "refuse"),
                                    ("an empty zip", lambda z: zipfile.ZipFile(z, "w").close(), "refuse"),
                                    ("a zip with a zip-slip entry", self.zip_slip, "refuse"),
                                    ("a truncated zip", self.zip_truncated, "refuse"),
                                    ("a valid zip of the folder", self.zip_valid, "accept")]:
            sd = self.fresh("zip")
            f, m = self.subject(sd)
            z = os.path.join(sd, "bundle.zip")
            build(z)
            out = os.path.join(sd, "out")
            self.add(self.run_seg_case, area, name, self.seg_args(f, m, out, model=z), expect, out, [sd],
                     self.finite_probability(out, expect_warning="") if expect == "accept" else None)

    def zip_slip(self, z):
        with zipfile.ZipFile(z, "w") as zf:
            zf.write(os.path.join(self.tiny, "ies-model.json"), "ies-model.json")
            zf.writestr("../../evil.txt", "evil")
            zf.write(os.path.join(self.tiny, "model.pt"), "model.pt")

    def zip_truncated(self, z):
        self.zip_valid(z)
        with open(z, "rb") as f:
            b = f.read()
        with open(z, "wb") as f:
            f.write(b[:len(b) // 2])

    def zip_valid(self, z):
        with zipfile.ZipFile(z, "w") as zf:
            zf.write(os.path.join(self.tiny, "ies-model.json"), "tiny/ies-model.json")
            zf.write(os.path.join(self.tiny, "model.pt"), "tiny/model.pt")

    def outputs(self, quick):
        area = "output folders"
        def seg(name, outf, setup=None, extra=(), expect="refuse"):
            sd = self.fresh("out")
            f, m = self.subject(sd)
            mask = self.save(self.brain, os.path.join(sd, "mask.nii.gz"), np.uint8)
            gtp = self.save(self.gt, os.path.join(sd, "labels.nii.gz"), np.uint8)
            out = outf(sd, f, m)
            if setup:
                setup(sd, out)
            args = self.seg_args(f, m, out, *[a.replace("@mask", mask).replace("@gt", gtp) for a in extra])
            self.add(self.run_seg_case, area, name, args, expect, out if expect == "accept" else None, [sd],
                     self.finite_probability(out, expect_warning="") if expect == "accept" else None)
        seg("OUT = the subject folder, with --brain-mask and --gt in it", lambda sd, f, m: sd, extra=("--brain-mask", "@mask", "--gt", "@gt"))
        seg("OUT = the subject folder", lambda sd, f, m: sd)
        seg("OUT = the input file", lambda sd, f, m: f)
        seg("OUT = the parent of the subject folder", lambda sd, f, m: os.path.dirname(sd))
        seg("OUT under an existing file", lambda sd, f, m: os.path.join(f, "out"))
        seg("OUT an existing file", lambda sd, f, m: os.path.join(sd, "notes.txt"),
            setup=lambda sd, out: open(out, "w").write("user notes"))
        seg("OUT a symbolic link to the subject folder", lambda sd, f, m: os.path.join(os.path.dirname(sd), os.path.basename(sd) + "-link"),
            setup=lambda sd, out: os.symlink(sd, out))
        seg("OUT in /proc (not writable)", lambda sd, f, m: "/proc/ies-sweep-out")
        seg("OUT = /dev/null", lambda sd, f, m: "/dev/null")
        seg("OUT a new sub-folder of the subject folder (fine)", lambda sd, f, m: os.path.join(sd, "seg"), expect="accept")
        # explain and batch
        sd = self.fresh("out-explain")
        f, m = self.subject(sd)
        self.add(self.run_seg_case, area, "explain into the subject folder",
                 ["explain", "--model", self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", sd, "--methods", "gradcampp",
                  "--device", "cpu", "--quiet"], "refuse", None, [sd])
        for name, outf in [("batch --out = --subjects", lambda c: c), ("batch --out = parent of --subjects", lambda c: os.path.dirname(c))]:
            c = os.path.join(self.fresh("out-batch"), "cohort")
            shutil.copytree(self.s1, os.path.join(c, "s1"))
            self.add(self.run_seg_case, area, name, ["batch", "--subjects", c, "--out", outf(c), "--model", self.tiny, "--methods",
                                                     "gradcampp", "--device", "cpu", "--quiet"], "refuse", None, [c])
        # folders holding a user's files of the names IES writes (not inputs of the run)
        sd = self.fresh("out-foreign")
        f, m = self.subject(sd)
        proj = os.path.join(sd, "project")
        os.makedirs(proj)
        with open(os.path.join(proj, "labels.nii.gz"), "w") as fh:
            fh.write("the user's manual labels")
        self.add(self.run_seg_case, area, "OUT holds the user's own labels.nii.gz (not an input)", self.seg_args(f, m, proj), "refuse", None, [proj])
        ph = self.fresh("out-phantom-foreign")
        with open(os.path.join(ph, "flair.nii.gz"), "w") as fh:
            fh.write("the user's own FLAIR")
        self.add(self.run_seg_case, area, "phantom into a folder holding the user's flair.nii.gz",
                 ["phantom", "--out", ph, "--seed", "3", "--shape", "32,32,32", "--spacing", "4", "-q"], "refuse", None, [ph])
        rl = self.fresh("out-relocate-foreign")
        f2, m2 = self.subject(rl)
        gt2 = self.save(self.gt, os.path.join(rl, "gt.nii.gz"), np.uint8)
        ro = os.path.join(rl, "out")
        os.makedirs(os.path.join(ro, "original"))
        with open(os.path.join(ro, "original", "flair.nii.gz"), "w") as fh:
            fh.write("the user's original scan")
        self.add(self.run_seg_case, area, "experiment relocate into a folder holding the user's folder 'original'",
                 ["experiment", "relocate", "--model", self.tiny, "--input", "FLAIR=" + f2, "--input", "MPRAGE=" + m2, "--gt", gt2,
                  "--out", ro, "--samples", "1", "--device", "cpu", "--quiet"], "refuse", None, [ro])
        cd = self.fresh("out-batch-foreign")
        c = os.path.join(cd, "cohort")
        shutil.copytree(self.s1, os.path.join(c, "s1"))
        out = os.path.join(cd, "out")
        os.makedirs(os.path.join(out, "s1"))
        with open(os.path.join(out, "s1", "my-notes.txt"), "w") as fh:
            fh.write("the user's notes")
        self.add(self.run_seg_case, area, "batch with a user's folder named like a subject in --out",
                 ["batch", "--subjects", c, "--out", out, "--model", self.tiny, "--methods", "gradcampp", "--samples", "1", "--device", "cpu",
                  "--quiet"], "refuse", None, [c, os.path.join(out, "s1")])

    def messages(self, quick):
        area = "messages"
        sd = self.fresh("msg")
        f, m = self.subject(sd)
        os.makedirs(os.path.join(sd, "adir.nii.gz"))
        os.mkfifo(os.path.join(sd, "pipe.nii.gz"))
        open(os.path.join(sd, "empty.nii.gz"), "w").close()
        with open(os.path.join(sd, "text.nii"), "w") as fh:
            fh.write("not a nifti file, only some text " * 20)
        with open(os.path.join(sd, "lonely.img"), "wb") as fh:
            fh.write(b"\0" * 1000)
        u64 = self.save(np.round(self.f32).astype(np.uint64), os.path.join(sd, "u64.nii.gz"), np.uint64)
        four = self.save(np.stack([self.f32, self.f32], axis=-1), os.path.join(sd, "flair4d.nii.gz"), np.float32)
        for name, p in [("input is a folder", os.path.join(sd, "adir.nii.gz")), ("input is a FIFO", os.path.join(sd, "pipe.nii.gz")),
                        ("input is /dev/zero", "/dev/zero"), ("input is missing", os.path.join(sd, "missing.nii.gz")),
                        ("input is empty", os.path.join(sd, "empty.nii.gz")), ("input is text", os.path.join(sd, "text.nii")),
                        ("input .img without .hdr", os.path.join(sd, "lonely.img")), ("input is uint64", u64),
                        ("input is 4D (2 volumes)", four)]:
            out = os.path.join(self.fresh("msg-out"), "out")
            self.add(self.run_seg_case, area, name, self.seg_args(p, m, out), "refuse", out, [sd])
            if name in ("input is a folder", "input is /dev/zero", "input is uint64", "input is a FIFO"):
                self.add(self.run_info_case, area, "info: " + name, p, "refuse", None, None, sd)
        for name, model in [("model path missing", os.path.join(sd, "nothing")), ("model is a plain file", f), ("model folder empty", self.fresh("empty-bundle"))]:
            out = os.path.join(self.fresh("msg-out"), "out")
            self.add(self.run_seg_case, area, name, self.seg_args(f, m, out, model=model), "refuse", out, [sd])

    # ---------------------------------------------------------------- processes
    def signals(self, quick):
        area = "signals"
        plan = [("TERM", 0.0), ("TERM", 1.0), ("TERM", 3.0), ("INT", 0.0), ("INT", 1.0), ("INT", 3.0), ("KILL", 1.0), ("KILL", 3.0)]
        if quick:
            plan = [plan[1], plan[4], plan[6]]
        for sig, delay in plan:
            self.add(self.run_signal_case, area, sig, delay)
        self.add(self.run_segment_signal_case, area)

    def endless_explain(self, sd, f, m, out, log):
        lab = self.save(self.gt, os.path.join(sd, "labels.nii.gz"), np.uint8)
        return self.popen(["explain", "--model", self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab, "--out",
                           out, "--methods", "smoothgrad-max", "--samples", "1000000", "--device", "cpu", "--threads", "1"], log)

    @staticmethod
    def wait_for(cond, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if cond():
                return True
            time.sleep(0.05)
        return False

    def run_signal_case(self, area, sig, delay):
        name = "explain, SIG%s %.0f s after it locked its output folder" % (sig, delay)
        sd = self.fresh("sig")
        f, m = self.subject(sd)
        base = os.path.join(sd, "new")
        out = os.path.join(base, "out")
        before = {sd + "/" + k: v for k, v in self.digest(sd).items()}
        with open(os.path.join(sd, "..", os.path.basename(sd) + ".log"), "w") as log:
            p = self.endless_explain(sd, f, m, out, log)
        if not self.wait_for(lambda: os.path.exists(os.path.join(out, ".ies-lock")), 120):
            p.kill()
            return self.record(area, name, "other", "the run never locked its folder")
        time.sleep(delay)
        os.kill(p.pid, getattr(signal, "SIG" + sig))
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            return self.record(area, name, "other", "did not stop within 60 s of SIG" + sig)
        lost = [k for k, v in before.items() if self.digest(sd).get(k[len(sd) + 1:]) != v]
        if lost:
            return self.record(area, name, "user files lost", str(lost))
        if sig != "KILL":
            if os.path.exists(base):
                return self.record(area, name, "other", "left %s: %s" % (base, list(os.walk(base))[:3]))
            return self.record(area, name, "handled cleanly", "exit %s, nothing left" % rc)
        # SIGKILL: no clean-up is possible; the next run must take over and give the clean result
        rc2, o2, e2, _ = self.ies(["explain", "--model", self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels",
                                   os.path.join(sd, "labels.nii.gz"), "--out", out, "--methods", "gradcampp", "--device", "cpu", "--quiet"])
        ref = os.path.join(sd, "ref")
        rc3, o3, e3, _ = self.ies(["explain", "--model", self.tiny, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels",
                                   os.path.join(sd, "labels.nii.gz"), "--out", ref, "--methods", "gradcampp", "--device", "cpu", "--quiet"])
        if rc2 != 0 or rc3 != 0:
            return self.record(area, name, "other", "rerun after SIGKILL failed: " + e2[-300:] + e3[-300:])
        a, b = self.digest(out), self.digest(ref)
        a.pop("run.json", None)
        b.pop("run.json", None)
        if a != b:
            return self.record(area, name, "accepted but wrong", "the rerun differs from a clean run: %s" %
                               sorted(set(a.items()) ^ set(b.items()))[:4])
        if self.leftovers(out):
            return self.record(area, name, "other", "leftovers after the rerun: %s" % self.leftovers(out))
        return self.record(area, name, "handled cleanly", "rerun after SIGKILL took over the lock and equals a clean run (%d files)" % len(a))

    def run_segment_signal_case(self, area):
        name = "segment, SIGTERM right after it locked"
        sd = self.fresh("sig-seg")
        big = np.tile(self.f32, (3, 3, 3))
        bigm = np.tile(self.m32, (3, 3, 3))
        f, m = self.subject(sd, flair=big, mprage=bigm)
        out = os.path.join(sd, "new", "out")
        with open(os.path.join(sd, "..", os.path.basename(sd) + ".log"), "w") as log:
            p = self.popen(self.seg_args(f, m, out), log)
        if not self.wait_for(lambda: os.path.exists(os.path.join(out, ".ies-lock")) or p.poll() is not None, 120):
            p.kill()
            return self.record(area, name, "other", "never locked")
        if p.poll() is not None:
            return self.record(area, name, "other", "finished before the signal (not a signal test)")
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            return self.record(area, name, "other", "did not stop")
        if os.path.exists(os.path.join(sd, "new")):
            return self.record(area, name, "other", "left " + os.path.join(sd, "new"))
        return self.record(area, name, "handled cleanly", "nothing left")

    def concurrency(self, quick):
        area = "concurrency"
        for k in range(1 if quick else 3):
            self.add(self.run_two_segments, area, k)
        self.add(self.run_held_case, area)
        self.add(self.run_two_shards, area)

    def run_two_segments(self, area, k):
        name = "two segment runs started together into one folder (#%d)" % (k + 1)
        sd = self.fresh("conc")
        f, m = self.subject(sd)
        g = os.path.join(sd, "other")
        os.makedirs(g)
        f2, m2 = self.subject(g, flair=self.f32[::-1].copy(), mprage=self.m32[::-1].copy())
        out = os.path.join(sd, "out")
        logs = [open(os.path.join(sd, "run%d.log" % i), "w") for i in range(2)]
        ps = [self.popen(self.seg_args(f, m, out), logs[0]), self.popen(self.seg_args(f2, m2, out), logs[1])]
        rcs = [p.wait(600) for p in ps]
        for l in logs:
            l.close()
        errs = [open(l.name).read() for l in logs]
        ok = [i for i in range(2) if rcs[i] == 0]
        if len(ok) == 2:
            # both finished: acceptable only if they ran one after the other (the second saw no lock); the files must
            # then be one run's, consistently
            pass
        elif len(ok) == 1:
            loser = 1 - ok[0]
            if "in use by another IES run" not in errs[loser]:
                return self.record(area, name, "other", "the refused run says: " + errs[loser][-300:])
        else:
            return self.record(area, name, "other", "both failed: %s" % [e[-200:] for e in errs])
        with open(os.path.join(out, "run.json")) as fh:
            rj = json.load(fh)
        winner = rj["parameters"]["inputs"]["FLAIR"]
        src = f if winner == f else f2
        ref = os.path.join(sd, "ref")
        rc, o, e, _ = self.ies(self.seg_args(src, m if src == f else m2, ref))
        a, b = self.digest(out), self.digest(ref)
        a.pop("run.json", None)
        b.pop("run.json", None)
        if a != b:
            return self.record(area, name, "accepted but wrong", "the folder mixes the two runs' outputs")
        return self.record(area, name, "handled cleanly", "exits %s; the folder holds one run's outputs" % rcs)

    def run_held_case(self, area):
        name = "explain of subject A holds the folder, segment of subject B into it"
        sd = self.fresh("held")
        f, m = self.subject(sd)
        out = os.path.join(sd, "out")
        with open(os.path.join(sd, "explain.log"), "w") as log:
            p = self.endless_explain(sd, f, m, out, log)
        try:
            if not self.wait_for(lambda: os.path.exists(os.path.join(out, ".ies-lock")), 120):
                return self.record(area, name, "other", "explain never locked")
            g = os.path.join(sd, "b")
            os.makedirs(g)
            f2, m2 = self.subject(g, flair=self.f32[::-1].copy(), mprage=self.m32[::-1].copy())
            before = self.digest(out)
            rc, o, e, _ = self.ies(self.seg_args(f2, m2, out))
            if rc == 0:
                return self.record(area, name, "accepted but wrong", "the second run wrote into a held folder")
            if self.digest(out) != before:
                return self.record(area, name, "other", "the refused run changed the folder")
            errs, _ = self.error_line(e)
            if not errs or "in use by another IES run" not in errs[-1]:
                return self.record(area, name, "other", e[-300:])
            return self.record(area, name, "handled cleanly", errs[-1])
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()

    def batch_cohort(self, n=2):
        c = os.path.join(self.fresh("cohort"), "cohort")
        for s in range(1, n + 1):
            rc, o, e, _ = self.ies(["phantom", "--out", os.path.join(c, "s%d" % s), "--seed", str(100 + s), "--shape", "32,32,32",
                                    "--spacing", "6", "--lesions", "3", "-q"])
        return c

    def run_two_shards(self, area):
        name = "two --shard runs at once into one folder"
        c = self.batch_cohort(4)
        out = os.path.join(os.path.dirname(c), "out")
        logs = [open(os.path.join(os.path.dirname(c), "shard%d.log" % i), "w") for i in (1, 2)]
        args = ["batch", "--subjects", c, "--out", out, "--model", self.tiny, "--methods", "gradcampp", "--samples", "1", "--device", "cpu",
                "--threads", "1", "--quiet"]
        ps = [self.popen(args + ["--shard", "%d/2" % i], logs[i - 1]) for i in (1, 2)]
        rcs = [p.wait(600) for p in ps]
        done = sorted(s for s in os.listdir(out) if os.path.exists(os.path.join(out, s, "ies-batch-done.json")))
        if rcs != [0, 0] or done != ["s1", "s2", "s3", "s4"]:
            return self.record(area, name, "other", "exits %s, done %s" % (rcs, done))
        return self.record(area, name, "handled cleanly", "each subject done once")

    def batch_kills(self, quick):
        area = "batch kills"
        for sig in ["KILL", "TERM"]:
            self.add(self.run_batch_kill, area, sig)

    @staticmethod
    def children(pid):
        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        st = f.read()
                    if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                        kids.append(d)
                except (OSError, ValueError):
                    pass
        return kids

    def run_batch_kill(self, area, sig):
        name = "ies batch --jobs 2, SIG%s of the parent" % sig
        c = self.batch_cohort(2)
        out = os.path.join(os.path.dirname(c), "out")
        log = open(os.path.join(os.path.dirname(c), "batch.log"), "w")
        p = subprocess.Popen(self.java + ["batch", "--subjects", c, "--out", out, "--model", self.tiny, "--jobs", "2", "--methods",
                                          "smoothgrad-max", "--samples", "1000000", "--device", "cpu"], stdout=log, stderr=subprocess.STDOUT)
        try:
            ok = self.wait_for(lambda: all(os.path.exists(os.path.join(out, s, ".ies-lock")) for s in ("s1", "s2")), 180)
            if not ok:
                return self.record(area, name, "other", "the workers never started")
            kids = self.children(p.pid)
            os.kill(p.pid, getattr(signal, "SIG" + sig))
            p.wait(60)
            alive = lambda: [k for k in kids if os.path.exists("/proc/" + k) and "zombie" not in open("/proc/%s/status" % k).read().lower()]  # noqa: E731
            if not self.wait_for(lambda: not alive(), 60):
                for k in alive():
                    os.kill(int(k), signal.SIGKILL)
                return self.record(area, name, "other", "workers %s still running 60 s after the parent's SIG%s" % (kids, sig))
            for s in ("s1", "s2"):
                if os.path.isdir(os.path.join(out, s)) and self.leftovers(os.path.join(out, s)):
                    return self.record(area, name, "other", "leftovers in %s: %s" % (s, self.leftovers(os.path.join(out, s))))
            # the rerun finishes every subject, each once
            rc, o, e, t = self.ies(["batch", "--subjects", c, "--out", out, "--model", self.tiny, "--jobs", "2", "--methods", "gradcampp",
                                    "--samples", "1", "--device", "cpu", "--quiet"])
            if rc != 0:
                return self.record(area, name, "other", "rerun failed: " + e[-300:])
            return self.record(area, name, "handled cleanly", "%d worker(s) stopped with the parent; the rerun finished in %.0f s" % (len(kids), t))
        finally:
            log.close()
            orphans = self.children(p.pid) if p.poll() is None else []
            if p.poll() is None:
                p.kill()
            for k in orphans:        # code without worker hygiene (e.g. --ref main) leaves its workers running
                try:
                    os.kill(int(k), signal.SIGKILL)
                except OSError:
                    pass

    # ---------------------------------------------------------------- main
    def build(self, quick, only=None):
        pick = lambda fns: [f for f in fns if not only or only in f.__name__]  # noqa: E731
        for area in pick([self.truncations, self.bitflips, self.lying_headers, self.nonfinite, self.geometry, self.grids, self.bundles,
                          self.outputs, self.messages]):
            area(quick)
        self.serial = []
        n = len(self.cases)
        for area in pick([self.signals, self.concurrency, self.batch_kills]):
            area(quick)
        self.serial = self.cases[n:]
        self.cases = self.cases[:n]

    def run(self):
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as ex:
            futs = [ex.submit(fn, *a) for fn, a in self.cases]
            for k, fu in enumerate(concurrent.futures.as_completed(futs)):
                fu.result()
                if (k + 1) % 25 == 0:
                    print("  %d/%d cases (%.0f s)" % (k + 1, len(self.cases), time.time() - t0), file=sys.stderr, flush=True)
        for fn, a in self.serial:        # processes, signals and timing-sensitive cases one at a time
            fn(*a)
        return time.time() - t0

    def report(self, seconds, out_json):
        by = collections.OrderedDict()
        for area, name, cat, det in self.results:
            by.setdefault(area, collections.Counter())[cat] += 1
        w = max(len(a) for a in by) + 2
        if not by:
            print("no cases")
            return 1
        print("\nhostile-input sweep: %d cases in %.0f s (IES at %s)" % (len(self.results), seconds, self.home))
        print("%-*s %8s %9s %8s %6s %6s %6s" % (w, "area", "cases", "cleanly", "wrong", "lost", "path", "other"))
        tot = collections.Counter()
        for area, c in by.items():
            tot.update(c)
            print("%-*s %8d %9d %8d %6d %6d %6d" % (w, area, sum(c.values()), c["handled cleanly"], c["accepted but wrong"],
                                                     c["user files lost"], c["message only a path"], c["other"]))
        print("%-*s %8d %9d %8d %6d %6d %6d" % (w, "total", sum(tot.values()), tot["handled cleanly"], tot["accepted but wrong"],
                                                 tot["user files lost"], tot["message only a path"], tot["other"]))
        bad = [r for r in self.results if r[2] != "handled cleanly"]
        if bad:
            print("\nnot handled cleanly:")
            for area, name, cat, det in sorted(bad):
                print("  [%s] %s: %s: %s" % (area, cat, name, det[:300]))
        with open(out_json, "w") as f:
            json.dump([dict(area=a, case=n, outcome=c, detail=d) for a, n, c, d in self.results], f, indent=1)
        print("\nevery case: " + out_json)
        return 0 if not bad else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ies-home", required=True, help="a built IES checkout (target/*.jar and target/classpath.txt)")
    ap.add_argument("--fixtures", required=True, help="the IES checkout whose test models to use (tiny and NaN bundles)")
    ap.add_argument("--work", required=True, help="scratch folder for the cases")
    ap.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    ap.add_argument("--quick", action="store_true", help="about a third of the cases")
    ap.add_argument("--only", help="only the areas whose generator's name contains this (e.g. batch_kills, signals)")
    ap.add_argument("--repeat", type=int, default=1, help="run the serial (process) cases this many times")
    a = ap.parse_args()
    s = Sweep(a.ies_home, a.fixtures, a.work, a.jobs)
    s.prepare()
    s.build(a.quick, a.only)
    s.serial = s.serial * a.repeat
    print("running %d parallel and %d serial cases with %d jobs..." % (len(s.cases), len(s.serial), a.jobs), file=sys.stderr, flush=True)
    secs = s.run()
    sys.exit(s.report(secs, os.path.join(a.work, "sweep-results.json")))


if __name__ == "__main__":
    main()
