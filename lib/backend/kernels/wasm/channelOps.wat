;; Per-channel passes over channels-last tensors [P pixels, C channels] in the tfjs wasm backend's own memory, for
;; BatchNorm2d at inference and the ReLU gradient (BatchNorm2d in training is batchNorm.c). Needs C % 4 == 0 (one
;; v128 holds 4 channels). Pointers are byte offsets. Pixels go in blocks of 64, each block once per group of 4
;; channels, so that the group's parameters stay in registers. Compiled into modules.ts by npm run build:wasm.
(module
  (import "env" "memory" (memory 1 65536 shared))

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
      (i32.le_u (i32.add (local.get $p) (i32.const 64)) (local.get $P)))))
