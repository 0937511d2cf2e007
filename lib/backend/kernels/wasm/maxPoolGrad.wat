;; The gradient of a 2-D max pool, NHWC, for the tfjs wasm backend's own memory: each output gradient goes to the
;; first maximum of its window in row-major order (NaN never wins), as the cpu backend routes it. 4 channels per
;; vector: the window's maxima and their byte offsets stay in registers, then the 4 gradients are added one by one
;; (windows may overlap). Needs C % 4 == 0; dx is zeroed here. Pointers are byte offsets.
;; Compiled into modules.ts by npm run build:wasm.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $B i32) (param $H i32) (param $W i32) (param $C i32) (param $OH i32) (param $OW i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $row i32) (local $b i32) (local $oy i32) (local $ox i32) (local $g i32) (local $r i32) (local $c i32)
    (local $iy i32) (local $ix i32) (local $off i32) (local $d i32)
    (local $best v128) (local $at v128) (local $v v128) (local $m v128) (local $dv v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $B) (local.get $H)) (local.get $W)) (local.get $row)))
    (local.set $d (local.get $dy))
    (loop $bLoop
      (local.set $oy (i32.const 0))
      (loop $oyLoop
        (local.set $ox (i32.const 0))
        (loop $oxLoop
          (local.set $g (i32.const 0))
          (loop $groups
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $at (i32x4.splat (i32.const -1)))
            (local.set $r (i32.const 0))
            (loop $rLoop
              (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $r)) (local.get $top)))
              (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $H)))
                (then
                  (local.set $c (i32.const 0))
                  (loop $cLoop
                    (local.set $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (local.get $c)) (local.get $left)))
                    (if (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $W)))
                      (then
                        (local.set $off (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H))
                          (local.get $iy)) (local.get $W)) (local.get $ix)) (local.get $row)) (local.get $g)))
                        (local.set $v (v128.load (i32.add (local.get $x) (local.get $off))))
                        (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                        (local.set $at (v128.bitselect (i32x4.splat (local.get $off)) (local.get $at) (local.get $m)))))
                    (br_if $cLoop (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $fw))))))
              (br_if $rLoop (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $fh))))
            (local.set $dv (v128.load (local.get $d)))
            (call $add (i32.add (local.get $dx) (i32.const 0)) (i32x4.extract_lane 0 (local.get $at)) (f32x4.extract_lane 0 (local.get $dv)))
            (call $add (i32.add (local.get $dx) (i32.const 4)) (i32x4.extract_lane 1 (local.get $at)) (f32x4.extract_lane 1 (local.get $dv)))
            (call $add (i32.add (local.get $dx) (i32.const 8)) (i32x4.extract_lane 2 (local.get $at)) (f32x4.extract_lane 2 (local.get $dv)))
            (call $add (i32.add (local.get $dx) (i32.const 12)) (i32x4.extract_lane 3 (local.get $at)) (f32x4.extract_lane 3 (local.get $dv)))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (br_if $groups (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $row))))
          (br_if $oxLoop (i32.lt_s (local.tee $ox (i32.add (local.get $ox) (i32.const 1))) (local.get $OW))))
        (br_if $oyLoop (i32.lt_s (local.tee $oy (i32.add (local.get $oy) (i32.const 1))) (local.get $OH))))
      (br_if $bLoop (i32.lt_s (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $B)))))

  ;; base[at] += g, unless the window had no maximum (at = −1: all of it padding, NaN or −∞)
  (func $add (param $base i32) (param $at i32) (param $g f32)
    (if (i32.ge_s (local.get $at) (i32.const 0))
      (then (f32.store (i32.add (local.get $base) (local.get $at))
        (f32.add (f32.load (i32.add (local.get $base) (local.get $at))) (local.get $g)))))))
