;; Per-channel passes over channels-last tensors [P pixels, C channels] in the tfjs wasm backend's own memory, for
;; BatchNorm2d (training and inference) and the ReLU gradient. Needs C % 4 == 0 (one v128 holds 4
;; channels). Pointers are byte offsets. Pixels go in blocks of 64, each block once per group of 4 channels: the block (64·C floats) stays in L1
;; while the group's sums and parameters stay in registers, and the sums only ever add up 64 floats in float32 before
;; going into float64 totals. Compiled into modules.ts by npm run build:wasm.
(module
  (import "env" "memory" (memory 1))

  ;; out[c] = Σ (u − mu[c]), out[C + c] = Σ (u − mu[c])·(v − mv[c]), as float64; out is overwritten.
  (func (export "sums")
    (param $u i32) (param $v i32) (param $mu i32) (param $mv i32) (param $out i32) (param $P i32) (param $C i32)
    (local $row i32) (local $p i32) (local $g i32) (local $k i32) (local $up i32) (local $vp i32) (local $o i32)
    (local $cu v128) (local $cv v128) (local $a v128) (local $s1 v128) (local $s2 v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $C) (i32.const 4)))
    (loop $blocks
      (local.set $g (i32.const 0))
      (loop $groups
        (local.set $cu (v128.load (i32.add (local.get $mu) (local.get $g))))
        (local.set $cv (v128.load (i32.add (local.get $mv) (local.get $g))))
        (local.set $s1 (f32x4.splat (f32.const 0)))
        (local.set $s2 (f32x4.splat (f32.const 0)))
        (local.set $up (i32.add (local.get $u) (i32.add (i32.mul (local.get $p) (local.get $row)) (local.get $g))))
        (local.set $vp (i32.add (local.get $v) (i32.add (i32.mul (local.get $p) (local.get $row)) (local.get $g))))
        (local.set $k (call $blockSize (local.get $p) (local.get $P)))
        (loop $pixels
          (local.set $a (f32x4.sub (v128.load (local.get $up)) (local.get $cu)))
          (local.set $s1 (f32x4.add (local.get $s1) (local.get $a)))
          (local.set $s2 (f32x4.add (local.get $s2)
            (f32x4.mul (local.get $a) (f32x4.sub (v128.load (local.get $vp)) (local.get $cv)))))
          (local.set $up (i32.add (local.get $up) (local.get $row)))
          (local.set $vp (i32.add (local.get $vp) (local.get $row)))
          (br_if $pixels (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        ;; channel 4·(g/16) as float64 starts at byte 2·g
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $g) (i32.const 1))))
        (call $addWide (local.get $o) (local.get $s1))
        (call $addWide (i32.add (local.get $o) (i32.shl (local.get $row) (i32.const 1))) (local.get $s2))
        (br_if $groups (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $row))))
      (br_if $blocks (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (local.get $P)))))

  ;; out = (u − m1[c])·a[c] + (v − m2[c])·e[c] + b[c]; params holds m1, a, m2, e, b, C floats each.
  (func (export "combine")
    (param $u i32) (param $v i32) (param $out i32) (param $params i32) (param $P i32) (param $C i32)
    (local $row i32) (local $p i32) (local $g i32) (local $k i32) (local $off i32) (local $q i32)
    (local $m1 v128) (local $a v128) (local $m2 v128) (local $e v128) (local $b v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (loop $blocks
      (local.set $g (i32.const 0))
      (loop $groups
        (local.set $q (i32.add (local.get $params) (local.get $g)))
        (local.set $m1 (v128.load (local.get $q)))
        (local.set $a (v128.load (local.tee $q (i32.add (local.get $q) (local.get $row)))))
        (local.set $m2 (v128.load (local.tee $q (i32.add (local.get $q) (local.get $row)))))
        (local.set $e (v128.load (local.tee $q (i32.add (local.get $q) (local.get $row)))))
        (local.set $b (v128.load (i32.add (local.get $q) (local.get $row))))
        (local.set $off (i32.add (i32.mul (local.get $p) (local.get $row)) (local.get $g)))
        (local.set $k (call $blockSize (local.get $p) (local.get $P)))
        (loop $pixels
          (v128.store (i32.add (local.get $out) (local.get $off)) (f32x4.add (f32x4.add
            (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $u) (local.get $off))) (local.get $m1)) (local.get $a))
            (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $v) (local.get $off))) (local.get $m2)) (local.get $e)))
            (local.get $b)))
          (local.set $off (i32.add (local.get $off) (local.get $row)))
          (br_if $pixels (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (br_if $groups (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $row))))
      (br_if $blocks (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (local.get $P)))))

  ;; out = x·a[c] + b[c] (BatchNorm2d at inference); params holds a, b, C floats each.
  (func (export "affine") (param $x i32) (param $out i32) (param $params i32) (param $P i32) (param $C i32)
    (local $row i32) (local $p i32) (local $g i32) (local $k i32) (local $off i32) (local $a v128) (local $b v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (loop $blocks
      (local.set $g (i32.const 0))
      (loop $groups
        (local.set $a (v128.load (i32.add (local.get $params) (local.get $g))))
        (local.set $b (v128.load (i32.add (i32.add (local.get $params) (local.get $row)) (local.get $g))))
        (local.set $off (i32.add (i32.mul (local.get $p) (local.get $row)) (local.get $g)))
        (local.set $k (call $blockSize (local.get $p) (local.get $P)))
        (loop $pixels
          (v128.store (i32.add (local.get $out) (local.get $off))
            (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $a)) (local.get $b)))
          (local.set $off (i32.add (local.get $off) (local.get $row)))
          (br_if $pixels (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (br_if $groups (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $row))))
      (br_if $blocks (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (local.get $P)))))

  ;; out = dy where x > 0, 0 where x ≤ 0, NaN where x is NaN: dy · step(x) as tfjs computes it. n % 4 == 0.
  (func (export "reluGrad") (param $x i32) (param $dy i32) (param $out i32) (param $n i32)
    (local $end i32) (local $xs v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (loop $elements
      (local.set $xs (v128.load (local.get $x)))
      (v128.store (local.get $out) (v128.bitselect
        (local.get $xs)
        (v128.and (v128.load (local.get $dy)) (f32x4.gt (local.get $xs) (f32x4.splat (f32.const 0))))
        (f32x4.ne (local.get $xs) (local.get $xs))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $elements (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))))

  (func $blockSize (param $p i32) (param $P i32) (result i32)
    (select (i32.const 64) (i32.sub (local.get $P) (local.get $p))
      (i32.le_u (i32.add (local.get $p) (i32.const 64)) (local.get $P))))

  ;; float64 totals at $o (4 channels, 32 bytes) += the float32 lanes of $s
  (func $addWide (param $o i32) (param $s v128)
    (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (f64x2.promote_low_f32x4 (local.get $s))))
    (v128.store offset=16 (local.get $o) (f64x2.add (v128.load offset=16 (local.get $o))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s)))))))
