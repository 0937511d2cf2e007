;; The filter gradient of a 2-D convolution, NHWC, for the tfjs wasm backend's own memory:
;;   dw[r, c, i, o] += x[b, oy·sh + r − top, ox·sw + c − left, i] · dy[b, oy, ox, o]
;; Blocks of 4 input × 8 output channels stay in eight SIMD registers while one output row streams past, so every
;; operand is in L1 and nothing is transposed or packed; in-channels left over (all of them when there is one) go in
;; blocks of 1 × 8. Needs outChannels % 8 == 0; dw must start zeroed. Pointers are byte offsets.
;; Compiled into modules.ts by npm run build:wasm.
(module
  (import "env" "memory" (memory 1))
  (func (export "filterGrad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $B i32) (param $H i32) (param $W i32) (param $Cin i32)
    (param $OH i32) (param $OW i32) (param $Cout i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $r i32) (local $c i32) (local $i i32) (local $o i32)
    (local $iy i32) (local $a i32) (local $ox0 i32) (local $ox1 i32) (local $n i32)
    (local $dyRow i32) (local $xRow i32) (local $acc i32) (local $xp i32) (local $dp i32)
    (local $xStep i32) (local $dStep i32) (local $accStep i32)
    (local.set $xStep (i32.shl (i32.mul (local.get $sw) (local.get $Cin)) (i32.const 2)))
    (local.set $dStep (i32.shl (local.get $Cout) (i32.const 2)))
    (local.set $accStep (i32.shl (local.get $Cout) (i32.const 2)))
    (loop $bLoop
      (local.set $oy (i32.const 0))
      (loop $oyLoop
        (local.set $dyRow (i32.add (local.get $dy) (i32.shl (i32.mul (i32.mul
          (i32.add (i32.mul (local.get $b) (local.get $OH)) (local.get $oy)) (local.get $OW)) (local.get $Cout)) (i32.const 2))))
        (local.set $r (i32.const 0))
        (loop $rLoop
          (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $r)) (local.get $top)))
          (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $H)))
            (then
              (local.set $xRow (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul
                (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $iy)) (local.get $W)) (local.get $Cin)) (i32.const 2))))
              (local.set $c (i32.const 0))
              (loop $cLoop
                ;; the output columns whose input column ox·sw + c − left lies inside the image
                (local.set $a (i32.sub (local.get $left) (local.get $c)))
                (local.set $ox0 (select
                  (i32.div_s (i32.sub (i32.add (local.get $a) (local.get $sw)) (i32.const 1)) (local.get $sw))
                  (i32.const 0) (i32.gt_s (local.get $a) (i32.const 0))))
                (local.set $a (i32.sub (i32.add (local.get $W) (local.get $a)) (i32.const 1)))
                (local.set $ox1 (select
                  (i32.add (i32.div_s (local.get $a) (local.get $sw)) (i32.const 1))
                  (i32.const 0) (i32.ge_s (local.get $a) (i32.const 0))))
                (if (i32.gt_s (local.get $ox1) (local.get $OW)) (then (local.set $ox1 (local.get $OW))))
                (if (i32.lt_s (local.get $ox0) (local.get $ox1))
                  (then
                    (local.set $i (i32.const 0))
                    (loop $iLoop
                      (local.set $o (i32.const 0))
                      (loop $oLoop
                        (local.set $acc (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add
                          (i32.mul (i32.add (i32.mul (local.get $r) (local.get $fw)) (local.get $c)) (local.get $Cin))
                          (local.get $i)) (local.get $Cout)) (local.get $o)) (i32.const 2))))
                        (local.set $xp (i32.add (local.get $xRow) (i32.shl (i32.add (i32.mul
                          (i32.sub (i32.add (i32.mul (local.get $ox0) (local.get $sw)) (local.get $c)) (local.get $left))
                          (local.get $Cin)) (local.get $i)) (i32.const 2))))
                        (local.set $dp (i32.add (local.get $dyRow) (i32.shl
                          (i32.add (i32.mul (local.get $ox0) (local.get $Cout)) (local.get $o)) (i32.const 2))))
                        (local.set $n (i32.sub (local.get $ox1) (local.get $ox0)))
                        (if (i32.ge_s (i32.sub (local.get $Cin) (local.get $i)) (i32.const 4))
                          (then (call $block4 (local.get $acc) (local.get $xp) (local.get $dp) (local.get $n)
                            (local.get $xStep) (local.get $dStep) (local.get $accStep)))
                          (else (call $block1 (local.get $acc) (local.get $xp) (local.get $dp) (local.get $n)
                            (local.get $xStep) (local.get $dStep))))
                        (br_if $oLoop (i32.lt_s (local.tee $o (i32.add (local.get $o) (i32.const 8))) (local.get $Cout))))
                      (br_if $iLoop (i32.lt_s (local.tee $i (i32.add (local.get $i)
                        (select (i32.const 4) (i32.const 1) (i32.ge_s (i32.sub (local.get $Cin) (local.get $i)) (i32.const 4)))))
                        (local.get $Cin))))))
                (br_if $cLoop (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $fw))))))
          (br_if $rLoop (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $fh))))
        (br_if $oyLoop (i32.lt_s (local.tee $oy (i32.add (local.get $oy) (i32.const 1))) (local.get $OH))))
      (br_if $bLoop (i32.lt_s (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $B)))))

  ;; dw[i..i+3, o..o+7] += Σ over n pixels of x[i..i+3] · dy[o..o+7]
  (func $block4
    (param $acc i32) (param $xp i32) (param $dp i32) (param $n i32) (param $xStep i32) (param $dStep i32) (param $accStep i32)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local.set $a00 (v128.load (local.get $acc)))
    (local.set $a01 (v128.load offset=16 (local.get $acc)))
    (local.set $a10 (v128.load (i32.add (local.get $acc) (local.get $accStep))))
    (local.set $a11 (v128.load offset=16 (i32.add (local.get $acc) (local.get $accStep))))
    (local.set $a20 (v128.load (i32.add (local.get $acc) (i32.shl (local.get $accStep) (i32.const 1)))))
    (local.set $a21 (v128.load offset=16 (i32.add (local.get $acc) (i32.shl (local.get $accStep) (i32.const 1)))))
    (local.set $a30 (v128.load (i32.add (local.get $acc) (i32.mul (local.get $accStep) (i32.const 3)))))
    (local.set $a31 (v128.load offset=16 (i32.add (local.get $acc) (i32.mul (local.get $accStep) (i32.const 3)))))
    (loop $pixels
      (local.set $d0 (v128.load (local.get $dp)))
      (local.set $d1 (v128.load offset=16 (local.get $dp)))
      (local.set $s (v128.load32_splat (local.get $xp)))
      (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $d0))))
      (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $d1))))
      (local.set $s (v128.load32_splat offset=4 (local.get $xp)))
      (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $d0))))
      (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $d1))))
      (local.set $s (v128.load32_splat offset=8 (local.get $xp)))
      (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $d0))))
      (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $d1))))
      (local.set $s (v128.load32_splat offset=12 (local.get $xp)))
      (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $d0))))
      (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $d1))))
      (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
      (local.set $dp (i32.add (local.get $dp) (local.get $dStep)))
      (br_if $pixels (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (v128.store (local.get $acc) (local.get $a00))
    (v128.store offset=16 (local.get $acc) (local.get $a01))
    (v128.store (i32.add (local.get $acc) (local.get $accStep)) (local.get $a10))
    (v128.store offset=16 (i32.add (local.get $acc) (local.get $accStep)) (local.get $a11))
    (v128.store (i32.add (local.get $acc) (i32.shl (local.get $accStep) (i32.const 1))) (local.get $a20))
    (v128.store offset=16 (i32.add (local.get $acc) (i32.shl (local.get $accStep) (i32.const 1))) (local.get $a21))
    (v128.store (i32.add (local.get $acc) (i32.mul (local.get $accStep) (i32.const 3))) (local.get $a30))
    (v128.store offset=16 (i32.add (local.get $acc) (i32.mul (local.get $accStep) (i32.const 3))) (local.get $a31)))

  ;; dw[i, o..o+7] += Σ over n pixels of x[i] · dy[o..o+7]
  (func $block1 (param $acc i32) (param $xp i32) (param $dp i32) (param $n i32) (param $xStep i32) (param $dStep i32)
    (local $a0 v128) (local $a1 v128) (local $s v128)
    (local.set $a0 (v128.load (local.get $acc)))
    (local.set $a1 (v128.load offset=16 (local.get $acc)))
    (loop $pixels
      (local.set $s (v128.load32_splat (local.get $xp)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (v128.load (local.get $dp)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $dp)))))
      (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
      (local.set $dp (i32.add (local.get $dp) (local.get $dStep)))
      (br_if $pixels (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (v128.store (local.get $acc) (local.get $a0))
    (v128.store offset=16 (local.get $acc) (local.get $a1))))
