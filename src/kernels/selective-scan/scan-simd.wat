;; The host selective scan, forward and backward, in WebAssembly with 128-bit SIMD (float32).
;; Assembled by `npm run wasm:scan` (scripts/assemble-scan.ts) into scan-simd-module.ts; loaded by
;; host-simd.ts, which packs the inputs into this module's memory. Equations: paper.md section 4,
;; the same loops as host.ts. The module also holds two host kernels of src/kernels/host-kernels.ts
;; that use its exp (bias + GELU; Mamba's causal conv + bias + SiLU) and LayerNorm, at the end of this file.
;;
;; Vectorised over channels: one f32x4 holds 4 channels d0 .. d0+3 of one (b, t) (every channel's
;; recurrence is independent, B_t and C_t are shared by the channels: splats), so any N works and
;; no horizontal sum is needed inside the recurrence. Layouts (float32 unless said; Dp = Di rounded
;; up to 4, padded channels have u = z = dout = 0 and so contribute exactly 0):
;;   u, z (the gate's Di columns), y, dout, du, dz: [B, L, Dp];  xdbl, dxdbl: [B, L, S], S = R + 2N
;;   (dt_low | B | C);  dtWT: [R, Dp];  bias, D: [Dp];  AT = -exp(A_log): [N, Dp];
;;   parameter gradients (float64): dW^T [R, Dp], dA [N, Dp] (d/dA, not yet d/dA_log), dD, dBias [Dp].
;; Scratch (v128 each): states h [(L + 1) N], decays [L N], Delta, sigmoid(dt), pre-gate y [L],
;; xdbl gradient [L S] (per lane: summed over the lanes at the end of a batch row), adjoint [N],
;; dA and dW^T of one (batch row, channel group) [N] / [R].
(module
  (memory (export "memory") 1)

  ;; exp(x), float32: x clamped to [-87, 88], x = n ln2 + r (|r| <= ln2 / 2), exp(r) by its degree-7
  ;; Taylor polynomial (remainder < 6e-9 relative), times 2^n built in the exponent bits. n is
  ;; rounded by adding 1.5 * 2^23 (t = x log2(e) + 1.5 * 2^23 holds n in its low mantissa bits, so
  ;; (bits(t) + 127) << 23 is 2^n as float32 bits for -126 <= n <= 127). The scan's loops repeat
  ;; these lines inline for their decays exp(Delta A) (x <= 0: no upper clamp there).
  (func $exp (param $x v128) (result v128)
    (local $t v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $x) (v128.const f32x4 88 88 88 88))
                             (v128.const f32x4 -87 -87 -87 -87)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $x)
      (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
      (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $n (f32x4.sub (local.get $t) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    ;; ln2 = 0.693145751953125 (16 bits: n times it is exact) + 1.42860677e-6
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x)
        (f32x4.mul (local.get $n) (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125)))
      (f32x4.mul (local.get $n) (v128.const f32x4 1.42860677e-6 1.42860677e-6 1.42860677e-6 1.42860677e-6))))
    (local.set $p (f32x4.add (v128.const f32x4 1.98412698e-4 1.98412698e-4 1.98412698e-4 1.98412698e-4)
      (f32x4.mul (local.get $r) (v128.const f32x4 2.48015873e-5 2.48015873e-5 2.48015873e-5 2.48015873e-5))))
    (local.set $p (f32x4.add (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3)
      (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)
      (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)
      (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)
      (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r) (local.get $p))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (local.get $t) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; softplus(x) = max(x, 0) + log1p(exp(-|x|)); log1p(v) for v in (0, 1] as 2 atanh(s),
  ;; s = v / (2 + v) <= 1/3, by its series to s^13 (remainder < 1e-8 relative).
  (func $softplus (param $x v128) (result v128)
    (local $s v128) (local $s2 v128) (local $p v128)
    (local.set $s (call $exp (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $s (f32x4.div (local.get $s) (f32x4.add (v128.const f32x4 2 2 2 2) (local.get $s))))
    (local.set $s2 (f32x4.mul (local.get $s) (local.get $s)))
    (local.set $p (f32x4.add (v128.const f32x4 9.09090909e-2 9.09090909e-2 9.09090909e-2 9.09090909e-2)
      (f32x4.mul (local.get $s2) (v128.const f32x4 7.69230769e-2 7.69230769e-2 7.69230769e-2 7.69230769e-2))))
    (local.set $p (f32x4.add (v128.const f32x4 0.111111111 0.111111111 0.111111111 0.111111111)
      (f32x4.mul (local.get $s2) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 0.142857143 0.142857143 0.142857143 0.142857143)
      (f32x4.mul (local.get $s2) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 0.2 0.2 0.2 0.2) (f32x4.mul (local.get $s2) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 0.333333333 0.333333333 0.333333333 0.333333333)
      (f32x4.mul (local.get $s2) (local.get $p))))
    (local.set $p (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $s2) (local.get $p))))
    (f32x4.add (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0))
      (f32x4.mul (f32x4.add (local.get $s) (local.get $s)) (local.get $p))))

  ;; sigmoid(x) = 1 / (1 + exp(-x))
  (func $sigmoid (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (f32x4.neg (local.get $x))))))

  ;; dst[i] = f(src[i]) for i < count (a multiple of 4; byte addresses): tests of the helpers.
  (func (export "expArray") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store (local.get $dst) (call $exp (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $next))))
  (func (export "softplusArray") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store (local.get $dst) (call $softplus (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $next))))
  (func (export "sigmoidArray") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store (local.get $dst) (call $sigmoid (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $next))))

  ;; Delta = softplus(bias + dt_low_t . dtW) of the 4 channels at byte column $c; $xo: the row of xdbl.
  (func $dtPre (param $xo i32) (param $pw i32) (param $c i32) (param $r i32) (param $dp4 i32)
               (param $bias v128) (result v128)
    (local $k i32) (local $acc v128) (local $w i32)
    (local.set $acc (local.get $bias))
    (local.set $w (i32.add (local.get $pw) (local.get $c)))
    (loop $next
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (f32x4.splat (f32.load (local.get $xo))) (v128.load (local.get $w)))))
      (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
      (local.set $w (i32.add (local.get $w) (local.get $dp4)))
      (br_if $next (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $r))))
    (local.get $acc))

  ;; The forward: y. Every count (B, L, Dp / 4, R, N) at least 1.
  (func (export "forward")
    (param $nb i32) (param $nl i32) (param $dp i32) (param $r i32) (param $n i32) (param $s i32)
    (param $pu i32) (param $px i32) (param $pz i32) (param $pw i32) (param $pbias i32) (param $pa i32)
    (param $pd i32) (param $py i32) (param $ph i32)
    (local $b i32) (local $c i32) (local $t i32) (local $k i32) (local $dp4 i32) (local $s4 i32)
    (local $row i32) (local $xo i32) (local $vo i32) (local $bo i32) (local $co i32) (local $ak i32)
    (local $hk i32)
    (local $bias v128) (local $dd v128) (local $delta v128) (local $ut v128) (local $dlu v128)
    (local $acc v128) (local $h v128) (local $zv v128)
    (local $a v128) (local $ex v128) (local $et v128) (local $en v128) (local $er v128) (local $ep v128)
    (local.set $dp4 (i32.shl (local.get $dp) (i32.const 2)))
    (local.set $s4 (i32.shl (local.get $s) (i32.const 2)))
    (loop $batch
      (local.set $c (i32.const 0))
      (loop $group
        (local.set $bias (v128.load (i32.add (local.get $pbias) (local.get $c))))
        (local.set $dd (v128.load (i32.add (local.get $pd) (local.get $c))))
        (memory.fill (local.get $ph) (i32.const 0) (i32.shl (local.get $n) (i32.const 4)))
        (local.set $t (i32.const 0))
        (loop $time
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t)))
          (local.set $xo (i32.add (local.get $px) (i32.mul (local.get $row) (local.get $s4))))
          (local.set $vo (i32.add (i32.mul (local.get $row) (local.get $dp4)) (local.get $c)))
          (local.set $delta (call $softplus
            (call $dtPre (local.get $xo) (local.get $pw) (local.get $c) (local.get $r) (local.get $dp4)
              (local.get $bias))))
          (local.set $ut (v128.load (i32.add (local.get $pu) (local.get $vo))))
          (local.set $dlu (f32x4.mul (local.get $delta) (local.get $ut)))
          (local.set $acc (f32x4.mul (local.get $dd) (local.get $ut)))
          (local.set $bo (i32.add (local.get $xo) (i32.shl (local.get $r) (i32.const 2))))
          (local.set $co (i32.add (local.get $bo) (i32.shl (local.get $n) (i32.const 2))))
          (local.set $ak (i32.add (local.get $pa) (local.get $c)))
          (local.set $hk (local.get $ph))
          (local.set $k (i32.const 0))
          (loop $state
            ;; a = exp(Delta A) (the lines of $exp, inline), h = a h + Delta u B_t
            (local.set $ex (f32x4.max (f32x4.mul (local.get $delta) (v128.load (local.get $ak))) (v128.const f32x4 -87 -87 -87 -87)))
            (local.set $et (f32x4.add (f32x4.mul (local.get $ex)
              (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
              (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $en (f32x4.sub (local.get $et) (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $er (f32x4.sub
              (f32x4.sub (local.get $ex)
                (f32x4.mul (local.get $en) (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125)))
              (f32x4.mul (local.get $en) (v128.const f32x4 1.42860677e-6 1.42860677e-6 1.42860677e-6 1.42860677e-6))))
            (local.set $ep (f32x4.add (v128.const f32x4 1.98412698e-4 1.98412698e-4 1.98412698e-4 1.98412698e-4)
              (f32x4.mul (local.get $er) (v128.const f32x4 2.48015873e-5 2.48015873e-5 2.48015873e-5 2.48015873e-5))))
            (local.set $ep (f32x4.add (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $a (f32x4.mul (local.get $ep)
              (i32x4.shl (i32x4.add (local.get $et) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
            (local.set $h (f32x4.add
              (f32x4.mul (local.get $a) (v128.load (local.get $hk)))
              (f32x4.mul (local.get $dlu) (f32x4.splat (f32.load (local.get $bo))))))
            (v128.store (local.get $hk) (local.get $h))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (local.get $h) (f32x4.splat (f32.load (local.get $co))))))
            (local.set $bo (i32.add (local.get $bo) (i32.const 4)))
            (local.set $co (i32.add (local.get $co) (i32.const 4)))
            (local.set $ak (i32.add (local.get $ak) (local.get $dp4)))
            (local.set $hk (i32.add (local.get $hk) (i32.const 16)))
            (br_if $state (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
          ;; y = (C_t . h + D u) SiLU(z)
          (local.set $zv (v128.load (i32.add (local.get $pz) (local.get $vo))))
          (v128.store (i32.add (local.get $py) (local.get $vo))
            (f32x4.mul (f32x4.mul (local.get $acc) (local.get $zv)) (call $sigmoid (local.get $zv))))
          (br_if $time (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $nl))))
        (br_if $group (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $dp4))))
      (br_if $batch (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $nb)))))

  ;; acc[0..1] += the 4 lanes of v as float64 (acc: 2 x f64x2 at byte address $p).
  (func $addF64 (param $p i32) (param $v v128)
    (v128.store (local.get $p)
      (f64x2.add (v128.load (local.get $p)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $p)
      (f64x2.add (v128.load offset=16 (local.get $p))
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; The backward: du, dz, dxdbl (float32) and the parameter gradients (float64, accumulated: the
  ;; caller zeroes them). $scratch: (L + 1) N + L N + 3 L + L S + 2 N + R v128s.
  (func (export "backward")
    (param $nb i32) (param $nl i32) (param $dp i32) (param $r i32) (param $n i32) (param $s i32)
    (param $pu i32) (param $px i32) (param $pz i32) (param $pw i32) (param $pbias i32) (param $pa i32)
    (param $pd i32) (param $pdo i32)
    (param $pdu i32) (param $pdz i32) (param $pdx i32) (param $gw i32) (param $ga i32) (param $gd i32)
    (param $gbias i32) (param $scratch i32)
    (local $b i32) (local $c i32) (local $t i32) (local $k i32) (local $dp4 i32) (local $s4 i32)
    (local $n16 i32) (local $row i32) (local $xo i32) (local $vo i32) (local $bo i32) (local $co i32)
    (local $ak i32) (local $hk i32) (local $ek i32) (local $gk i32) (local $pk i32) (local $xk i32)
    (local $wk i32)
    (local $phs i32) (local $pab i32) (local $pdel i32) (local $psig i32) (local $pyp i32)
    (local $pdxv i32) (local $pgc i32) (local $pav i32) (local $pwv i32) (local $end i32)
    (local $bias v128) (local $dd v128) (local $delta v128) (local $ut v128) (local $dlu v128)
    (local $acc v128) (local $h v128) (local $a v128) (local $zv v128) (local $sz v128) (local $dy v128)
    (local $g v128) (local $gah v128) (local $sumGB v128) (local $sumGAH v128) (local $ddt v128)
    (local $sD v128) (local $sBias v128) (local $v v128)
    (local $ex v128) (local $et v128) (local $en v128) (local $er v128) (local $ep v128)
    (local.set $dp4 (i32.shl (local.get $dp) (i32.const 2)))
    (local.set $s4 (i32.shl (local.get $s) (i32.const 2)))
    (local.set $n16 (i32.shl (local.get $n) (i32.const 4)))
    ;; scratch layout
    (local.set $phs (local.get $scratch))
    (local.set $pab (i32.add (local.get $phs)
      (i32.mul (i32.add (local.get $nl) (i32.const 1)) (local.get $n16))))
    (local.set $pdel (i32.add (local.get $pab) (i32.mul (local.get $nl) (local.get $n16))))
    (local.set $psig (i32.add (local.get $pdel) (i32.shl (local.get $nl) (i32.const 4))))
    (local.set $pyp (i32.add (local.get $psig) (i32.shl (local.get $nl) (i32.const 4))))
    (local.set $pdxv (i32.add (local.get $pyp) (i32.shl (local.get $nl) (i32.const 4))))
    (local.set $pgc (i32.add (local.get $pdxv)
      (i32.shl (i32.mul (local.get $nl) (local.get $s)) (i32.const 4))))
    (local.set $pav (i32.add (local.get $pgc) (local.get $n16)))
    (local.set $pwv (i32.add (local.get $pav) (local.get $n16)))
    ;; row 0 of the states: h_{-1} = 0
    (memory.fill (local.get $phs) (i32.const 0) (local.get $n16))
    (loop $batch
      (memory.fill (local.get $pdxv) (i32.const 0)
        (i32.shl (i32.mul (local.get $nl) (local.get $s)) (i32.const 4)))
      (local.set $c (i32.const 0))
      (loop $group
        (local.set $bias (v128.load (i32.add (local.get $pbias) (local.get $c))))
        (local.set $dd (v128.load (i32.add (local.get $pd) (local.get $c))))
        ;; the forward again, keeping the states, decays, Delta, sigmoid(dt) and pre-gate outputs
        (local.set $t (i32.const 0))
        (loop $time
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t)))
          (local.set $xo (i32.add (local.get $px) (i32.mul (local.get $row) (local.get $s4))))
          (local.set $vo (i32.add (i32.mul (local.get $row) (local.get $dp4)) (local.get $c)))
          (local.set $v (call $dtPre (local.get $xo) (local.get $pw) (local.get $c) (local.get $r)
            (local.get $dp4) (local.get $bias)))
          (local.set $delta (call $softplus (local.get $v)))
          (local.set $k (i32.shl (local.get $t) (i32.const 4)))
          (v128.store (i32.add (local.get $pdel) (local.get $k)) (local.get $delta))
          (v128.store (i32.add (local.get $psig) (local.get $k)) (call $sigmoid (local.get $v)))
          (local.set $ut (v128.load (i32.add (local.get $pu) (local.get $vo))))
          (local.set $dlu (f32x4.mul (local.get $delta) (local.get $ut)))
          (local.set $acc (f32x4.mul (local.get $dd) (local.get $ut)))
          (local.set $bo (i32.add (local.get $xo) (i32.shl (local.get $r) (i32.const 2))))
          (local.set $co (i32.add (local.get $bo) (i32.shl (local.get $n) (i32.const 2))))
          (local.set $ak (i32.add (local.get $pa) (local.get $c)))
          (local.set $hk (i32.add (local.get $phs) (i32.mul (local.get $t) (local.get $n16)))) ;; h_{t-1}
          (local.set $ek (i32.add (local.get $pab) (i32.mul (local.get $t) (local.get $n16))))
          (local.set $k (i32.const 0))
          (loop $state
            ;; a = exp(Delta A), inline as in the forward
            (local.set $ex (f32x4.max (f32x4.mul (local.get $delta) (v128.load (local.get $ak))) (v128.const f32x4 -87 -87 -87 -87)))
            (local.set $et (f32x4.add (f32x4.mul (local.get $ex)
              (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
              (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $en (f32x4.sub (local.get $et) (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $er (f32x4.sub
              (f32x4.sub (local.get $ex)
                (f32x4.mul (local.get $en) (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125)))
              (f32x4.mul (local.get $en) (v128.const f32x4 1.42860677e-6 1.42860677e-6 1.42860677e-6 1.42860677e-6))))
            (local.set $ep (f32x4.add (v128.const f32x4 1.98412698e-4 1.98412698e-4 1.98412698e-4 1.98412698e-4)
              (f32x4.mul (local.get $er) (v128.const f32x4 2.48015873e-5 2.48015873e-5 2.48015873e-5 2.48015873e-5))))
            (local.set $ep (f32x4.add (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)
              (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $ep (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $er) (local.get $ep))))
            (local.set $a (f32x4.mul (local.get $ep)
              (i32x4.shl (i32x4.add (local.get $et) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
            (v128.store (local.get $ek) (local.get $a))
            (local.set $h (f32x4.add (f32x4.mul (local.get $a) (v128.load (local.get $hk)))
              (f32x4.mul (local.get $dlu) (f32x4.splat (f32.load (local.get $bo))))))
            (v128.store (i32.add (local.get $hk) (local.get $n16)) (local.get $h))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (local.get $h) (f32x4.splat (f32.load (local.get $co))))))
            (local.set $bo (i32.add (local.get $bo) (i32.const 4)))
            (local.set $co (i32.add (local.get $co) (i32.const 4)))
            (local.set $ak (i32.add (local.get $ak) (local.get $dp4)))
            (local.set $hk (i32.add (local.get $hk) (i32.const 16)))
            (local.set $ek (i32.add (local.get $ek) (i32.const 16)))
            (br_if $state (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
          (v128.store (i32.add (local.get $pyp) (i32.shl (local.get $t) (i32.const 4))) (local.get $acc))
          (br_if $time (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $nl))))
        ;; the reverse walk with the adjoint g_t = C_t dy_t + A_bar_{t+1} g_{t+1}
        (memory.fill (local.get $pgc) (i32.const 0)
          (i32.add (i32.shl (local.get $n16) (i32.const 1)) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $sD (v128.const i32x4 0 0 0 0))
        (local.set $sBias (v128.const i32x4 0 0 0 0))
        (local.set $t (local.get $nl))
        (loop $back
          (local.set $t (i32.sub (local.get $t) (i32.const 1)))
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t)))
          (local.set $xo (i32.add (local.get $px) (i32.mul (local.get $row) (local.get $s4))))
          (local.set $vo (i32.add (i32.mul (local.get $row) (local.get $dp4)) (local.get $c)))
          (local.set $ut (v128.load (i32.add (local.get $pu) (local.get $vo))))
          (local.set $zv (v128.load (i32.add (local.get $pz) (local.get $vo))))
          (local.set $v (v128.load (i32.add (local.get $pdo) (local.get $vo)))) ;; dout
          (local.set $delta (v128.load (i32.add (local.get $pdel) (i32.shl (local.get $t) (i32.const 4)))))
          (local.set $sz (call $sigmoid (local.get $zv)))
          (local.set $dy (f32x4.mul (f32x4.mul (local.get $v) (local.get $zv)) (local.get $sz)))
          ;; dz = dout ypre sz (1 + z (1 - sz))
          (v128.store (i32.add (local.get $pdz) (local.get $vo))
            (f32x4.mul
              (f32x4.mul (f32x4.mul (local.get $v)
                (v128.load (i32.add (local.get $pyp) (i32.shl (local.get $t) (i32.const 4)))))
                (local.get $sz))
              (f32x4.add (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $zv) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $sz))))))
          (local.set $dlu (f32x4.mul (local.get $delta) (local.get $ut)))
          (local.set $sumGB (v128.const i32x4 0 0 0 0))
          (local.set $sumGAH (v128.const i32x4 0 0 0 0))
          (local.set $bo (i32.add (local.get $xo) (i32.shl (local.get $r) (i32.const 2))))
          (local.set $co (i32.add (local.get $bo) (i32.shl (local.get $n) (i32.const 2))))
          (local.set $ak (i32.add (local.get $pa) (local.get $c)))
          (local.set $hk (i32.add (local.get $phs) (i32.mul (local.get $t) (local.get $n16)))) ;; h_{t-1}
          (local.set $ek (i32.add (local.get $pab) (i32.mul (local.get $t) (local.get $n16))))
          (local.set $gk (local.get $pgc))
          (local.set $pk (local.get $pav))
          ;; row t of the xdbl gradient, at its B columns
          (local.set $xk (i32.add (local.get $pdxv)
            (i32.shl (i32.add (i32.mul (local.get $t) (local.get $s)) (local.get $r)) (i32.const 4))))
          (local.set $k (i32.const 0))
          (loop $state
            (local.set $a (v128.load (local.get $ek)))
            (local.set $g (f32x4.add
              (f32x4.mul (f32x4.splat (f32.load (local.get $co))) (local.get $dy))
              (v128.load (local.get $gk))))
            (local.set $gah (f32x4.mul (local.get $g)
              (f32x4.mul (local.get $a) (v128.load (local.get $hk)))))
            (local.set $sumGB (f32x4.add (local.get $sumGB)
              (f32x4.mul (local.get $g) (f32x4.splat (f32.load (local.get $bo))))))
            (local.set $sumGAH (f32x4.add (local.get $sumGAH)
              (f32x4.mul (local.get $gah) (v128.load (local.get $ak)))))
            (v128.store (local.get $pk) (f32x4.add (v128.load (local.get $pk))
              (f32x4.mul (local.get $gah) (local.get $delta))))
            (v128.store (local.get $xk) (f32x4.add (v128.load (local.get $xk))
              (f32x4.mul (local.get $g) (local.get $dlu))))
            (local.set $wk (i32.add (local.get $xk) (local.get $n16))) ;; the C column of this state
            (v128.store (local.get $wk) (f32x4.add (v128.load (local.get $wk))
              (f32x4.mul (local.get $dy) (v128.load (i32.add (local.get $hk) (local.get $n16))))))
            (v128.store (local.get $gk) (f32x4.mul (local.get $a) (local.get $g)))
            (local.set $bo (i32.add (local.get $bo) (i32.const 4)))
            (local.set $co (i32.add (local.get $co) (i32.const 4)))
            (local.set $ak (i32.add (local.get $ak) (local.get $dp4)))
            (local.set $hk (i32.add (local.get $hk) (i32.const 16)))
            (local.set $ek (i32.add (local.get $ek) (i32.const 16)))
            (local.set $gk (i32.add (local.get $gk) (i32.const 16)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
            (local.set $xk (i32.add (local.get $xk) (i32.const 16)))
            (br_if $state (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
          ;; d/dDelta of A_bar_t h_{t-1} + Delta u_t B_t against the adjoint, through softplus
          (local.set $ddt (f32x4.mul
            (f32x4.add (local.get $sumGAH) (f32x4.mul (local.get $ut) (local.get $sumGB)))
            (v128.load (i32.add (local.get $psig) (i32.shl (local.get $t) (i32.const 4))))))
          (local.set $xk (i32.add (local.get $pdxv)
            (i32.shl (i32.mul (local.get $t) (local.get $s)) (i32.const 4))))
          (local.set $wk (i32.add (local.get $pw) (local.get $c)))
          (local.set $pk (local.get $pwv))
          (local.set $bo (local.get $xo)) ;; dt_low of row t
          (local.set $k (i32.const 0))
          (loop $rank
            (v128.store (local.get $xk) (f32x4.add (v128.load (local.get $xk))
              (f32x4.mul (local.get $ddt) (v128.load (local.get $wk)))))
            (v128.store (local.get $pk) (f32x4.add (v128.load (local.get $pk))
              (f32x4.mul (local.get $ddt) (f32x4.splat (f32.load (local.get $bo))))))
            (local.set $xk (i32.add (local.get $xk) (i32.const 16)))
            (local.set $wk (i32.add (local.get $wk) (local.get $dp4)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
            (local.set $bo (i32.add (local.get $bo) (i32.const 4)))
            (br_if $rank (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $r))))
          (local.set $sD (f32x4.add (local.get $sD) (f32x4.mul (local.get $dy) (local.get $ut))))
          (local.set $sBias (f32x4.add (local.get $sBias) (local.get $ddt)))
          (v128.store (i32.add (local.get $pdu) (local.get $vo))
            (f32x4.add (f32x4.mul (local.get $dd) (local.get $dy))
              (f32x4.mul (local.get $delta) (local.get $sumGB))))
          (br_if $back (i32.gt_u (local.get $t) (i32.const 0))))
        ;; this (batch row, channel group)'s parameter gradients into the float64 sums
        (local.set $k (i32.const 0))
        (loop $fold
          (call $addF64
            (i32.add (local.get $ga)
              (i32.add (i32.shl (i32.mul (local.get $k) (local.get $dp)) (i32.const 3))
                       (i32.shl (local.get $c) (i32.const 1))))
            (v128.load (i32.add (local.get $pav) (i32.shl (local.get $k) (i32.const 4)))))
          (br_if $fold (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
        (local.set $k (i32.const 0))
        (loop $foldW
          (call $addF64
            (i32.add (local.get $gw)
              (i32.add (i32.shl (i32.mul (local.get $k) (local.get $dp)) (i32.const 3))
                       (i32.shl (local.get $c) (i32.const 1))))
            (v128.load (i32.add (local.get $pwv) (i32.shl (local.get $k) (i32.const 4)))))
          (br_if $foldW (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $r))))
        (call $addF64 (i32.add (local.get $gd) (i32.shl (local.get $c) (i32.const 1))) (local.get $sD))
        (call $addF64 (i32.add (local.get $gbias) (i32.shl (local.get $c) (i32.const 1))) (local.get $sBias))
        (br_if $group (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $dp4))))
      ;; this batch row's xdbl gradient: the lanes (channels) summed
      (local.set $xk (local.get $pdxv))
      (local.set $wk (i32.add (local.get $pdx)
        (i32.mul (i32.mul (local.get $b) (local.get $nl)) (local.get $s4))))
      (local.set $end (i32.add (local.get $pdxv) (i32.shl (i32.mul (local.get $nl) (local.get $s)) (i32.const 4))))
      (loop $reduce
        (local.set $v (v128.load (local.get $xk)))
        (f32.store (local.get $wk)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
            (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
        (local.set $wk (i32.add (local.get $wk) (i32.const 4)))
        (br_if $reduce (i32.lt_u (local.tee $xk (i32.add (local.get $xk) (i32.const 16))) (local.get $end))))
      (br_if $batch (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $nb)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Bias + GELU (tanh form) for the host kernels of src/kernels/host-kernels.ts (not the scan: they
  ;; share this module's exp). Rows of $c floats ($c a multiple of 4, >= 4), byte addresses; a = x +
  ;; bias[column], v = sqrt(2 / pi) (a + 0.044715 a^3), GELU = a (1 + tanh v) / 2.

  ;; tanh(v) = sign(v) (1 - e) / (1 + e), e = exp(-2 |v|) (exp's clamp keeps e > 0: tanh -> +-1)
  (func $tanh (param $v v128) (result v128)
    (local $e v128)
    (local.set $e (call $exp (f32x4.mul (f32x4.abs (local.get $v)) (v128.const f32x4 -2 -2 -2 -2))))
    (v128.or
      (f32x4.div (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $e)) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))
      (v128.and (local.get $v) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; out = GELU(x + bias), $rows x $c
  (func (export "biasGeluForward") (param $x i32) (param $bias i32) (param $out i32) (param $rows i32)
                                   (param $c i32)
    (local $row i32) (local $k i32) (local $cb i32) (local $a v128) (local $v v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rows
        (local.set $k (i32.const 0))
        (loop $cols
          (local.set $a (f32x4.add (v128.load (i32.add (local.get $x) (local.get $k)))
                                   (v128.load (i32.add (local.get $bias) (local.get $k)))))
          (local.set $v (f32x4.mul (v128.const f32x4 0.797884561 0.797884561 0.797884561 0.797884561) (f32x4.add (local.get $a)
            (f32x4.mul (v128.const f32x4 0.044715 0.044715 0.044715 0.044715) (f32x4.mul (local.get $a) (f32x4.mul (local.get $a) (local.get $a)))))))
          (v128.store (i32.add (local.get $out) (local.get $k))
            (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $a)) (f32x4.add (v128.const f32x4 1 1 1 1) (call $tanh (local.get $v)))))
          (br_if $cols (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $out (i32.add (local.get $out) (local.get $cb)))
        (br_if $rows (i32.lt_u (local.tee $row (i32.add (local.get $row) (i32.const 1))) (local.get $rows))))))

  ;; dx = dy GELU'(x + bias) = dy ((1 + th) / 2 + a (1 - th^2) v' / 2), v' = sqrt(2 / pi) (1 + 3 0.044715 a^2)
  (func (export "biasGeluBackward") (param $x i32) (param $bias i32) (param $dy i32) (param $dx i32)
                                    (param $rows i32) (param $c i32)
    (local $row i32) (local $k i32) (local $cb i32) (local $a v128) (local $a2 v128) (local $th v128)
    (local $dv v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rows
        (local.set $k (i32.const 0))
        (loop $cols
          (local.set $a (f32x4.add (v128.load (i32.add (local.get $x) (local.get $k)))
                                   (v128.load (i32.add (local.get $bias) (local.get $k)))))
          (local.set $a2 (f32x4.mul (local.get $a) (local.get $a)))
          (local.set $th (call $tanh (f32x4.mul (v128.const f32x4 0.797884561 0.797884561 0.797884561 0.797884561)
            (f32x4.add (local.get $a) (f32x4.mul (v128.const f32x4 0.044715 0.044715 0.044715 0.044715) (f32x4.mul (local.get $a) (local.get $a2)))))))
          (local.set $dv (f32x4.mul (v128.const f32x4 0.797884561 0.797884561 0.797884561 0.797884561) (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (v128.const f32x4 0.134145 0.134145 0.134145 0.134145) (local.get $a2)))))
          (v128.store (i32.add (local.get $dx) (local.get $k))
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $k)))
              (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5)
                (f32x4.add (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $th))
                  (f32x4.mul (f32x4.mul (local.get $a) (local.get $dv))
                    (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $th) (local.get $th))))))))
          (br_if $cols (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $dx (i32.add (local.get $dx) (local.get $cb)))
        (br_if $rows (i32.lt_u (local.tee $row (i32.add (local.get $row) (i32.const 1))) (local.get $rows))))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Mamba's causal depthwise conv + bias + SiLU for host-kernels.ts, 4 channels a lane group: x, u,
  ;; dy, dx [B, L, Cp]; the taps transposed, w [K, Cp]; bias, db [Cp]; dw [K, Cp]; Cp a multiple of 4
  ;; (padded channels read zeros). Channel groups outermost, so a group's sums stay in cache.

  ;; u = SiLU(bias + sum_j w_j x[t - K + 1 + j])
  (func (export "convSiluForward") (param $x i32) (param $w i32) (param $bias i32) (param $u i32)
        (param $nb i32) (param $nl i32) (param $cp i32) (param $k i32)
    (local $c i32) (local $b i32) (local $t i32) (local $j i32) (local $row i32) (local $cb i32)
    (local $pre v128)
    (local.set $cb (i32.shl (local.get $cp) (i32.const 2)))
    (loop $chan
      (local.set $b (i32.const 0))
      (loop $batch
        (local.set $t (i32.const 0))
        (loop $time
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t)))
          (local.set $pre (v128.load (i32.add (local.get $bias) (local.get $c))))
          ;; the taps j >= max(0, K - 1 - t) read x[row - K + 1 + j]
          (local.set $j (i32.sub (i32.sub (local.get $k) (i32.const 1)) (local.get $t)))
          (if (i32.lt_s (local.get $j) (i32.const 0)) (then (local.set $j (i32.const 0))))
          (block $tapsDone (loop $taps
            (br_if $tapsDone (i32.ge_s (local.get $j) (local.get $k)))
            (local.set $pre (f32x4.add (local.get $pre) (f32x4.mul
              (v128.load (i32.add (local.get $w) (i32.add (i32.mul (local.get $j) (local.get $cb)) (local.get $c))))
              (v128.load (i32.add (local.get $x) (i32.add (local.get $c) (i32.mul (local.get $cb)
                (i32.add (i32.sub (local.get $row) (local.get $k)) (i32.add (local.get $j) (i32.const 1))))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
          (v128.store (i32.add (local.get $u) (i32.add (i32.mul (local.get $row) (local.get $cb)) (local.get $c)))
            (f32x4.mul (local.get $pre) (call $sigmoid (local.get $pre))))
          (br_if $time (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $nl))))
        (br_if $batch (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $nb))))
      (br_if $chan (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $cb)))))

  ;; g = dy SiLU'(pre) = dy sg (1 + pre (1 - sg)); db = sum g; dw_j = sum g x[t - K + 1 + j];
  ;; dx[s] = sum_j g[s + K - 1 - j] w_j ($dpre: L lane groups of scratch, one (channel group, batch row))
  (func (export "convSiluBackward") (param $x i32) (param $w i32) (param $bias i32) (param $dy i32)
        (param $dx i32) (param $dw i32) (param $db i32) (param $dpre i32)
        (param $nb i32) (param $nl i32) (param $cp i32) (param $k i32)
    (local $c i32) (local $b i32) (local $t i32) (local $j i32) (local $row i32) (local $cb i32)
    (local $at i32) (local $pre v128) (local $sg v128) (local $g v128) (local $acc v128)
    (local.set $cb (i32.shl (local.get $cp) (i32.const 2)))
    (loop $chan
      (v128.store (i32.add (local.get $db) (local.get $c)) (v128.const f32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (loop $zero
        (v128.store (i32.add (local.get $dw) (i32.add (i32.mul (local.get $j) (local.get $cb)) (local.get $c))) (v128.const f32x4 0 0 0 0))
        (br_if $zero (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $k))))
      (local.set $b (i32.const 0))
      (loop $batch
        (local.set $t (i32.const 0))
        (loop $time
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t)))
          (local.set $pre (v128.load (i32.add (local.get $bias) (local.get $c))))
          ;; the taps j >= max(0, K - 1 - t) read x[row - K + 1 + j]
          (local.set $j (i32.sub (i32.sub (local.get $k) (i32.const 1)) (local.get $t)))
          (if (i32.lt_s (local.get $j) (i32.const 0)) (then (local.set $j (i32.const 0))))
          (block $tapsDone (loop $taps
            (br_if $tapsDone (i32.ge_s (local.get $j) (local.get $k)))
            (local.set $pre (f32x4.add (local.get $pre) (f32x4.mul
              (v128.load (i32.add (local.get $w) (i32.add (i32.mul (local.get $j) (local.get $cb)) (local.get $c))))
              (v128.load (i32.add (local.get $x) (i32.add (local.get $c) (i32.mul (local.get $cb)
                (i32.add (i32.sub (local.get $row) (local.get $k)) (i32.add (local.get $j) (i32.const 1))))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
          (local.set $sg (call $sigmoid (local.get $pre)))
          (local.set $g (f32x4.mul
            (v128.load (i32.add (local.get $dy) (i32.add (i32.mul (local.get $row) (local.get $cb)) (local.get $c))))
            (f32x4.mul (local.get $sg) (f32x4.add (v128.const f32x4 1 1 1 1)
              (f32x4.mul (local.get $pre) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $sg)))))))
          (v128.store (i32.add (local.get $dpre) (i32.shl (local.get $t) (i32.const 4))) (local.get $g))
          (local.set $at (i32.add (local.get $db) (local.get $c)))
          (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $g)))
          (local.set $j (i32.sub (i32.sub (local.get $k) (i32.const 1)) (local.get $t)))
          (if (i32.lt_s (local.get $j) (i32.const 0)) (then (local.set $j (i32.const 0))))
          (block $dwDone (loop $dwTaps
            (br_if $dwDone (i32.ge_s (local.get $j) (local.get $k)))
            (local.set $at (i32.add (local.get $dw) (i32.add (i32.mul (local.get $j) (local.get $cb)) (local.get $c))))
            (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $g)
              (v128.load (i32.add (local.get $x) (i32.add (local.get $c) (i32.mul (local.get $cb)
                (i32.add (i32.sub (local.get $row) (local.get $k)) (i32.add (local.get $j) (i32.const 1))))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $dwTaps)))
          (br_if $time (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $nl))))
        ;; dx of this batch row: x[s] feeds t = s + K - 1 - j for the taps with t < L
        (local.set $t (i32.const 0))
        (loop $dxs
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $j (i32.sub (i32.add (local.get $t) (local.get $k)) (local.get $nl)))
          (if (i32.lt_s (local.get $j) (i32.const 0)) (then (local.set $j (i32.const 0))))
          (block $dxDone (loop $dxTaps
            (br_if $dxDone (i32.ge_s (local.get $j) (local.get $k)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
              (v128.load (i32.add (local.get $dpre) (i32.shl
                (i32.sub (i32.add (local.get $t) (i32.sub (local.get $k) (i32.const 1))) (local.get $j)) (i32.const 4))))
              (v128.load (i32.add (local.get $w) (i32.add (i32.mul (local.get $j) (local.get $cb)) (local.get $c)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $dxTaps)))
          (v128.store (i32.add (local.get $dx) (i32.add (local.get $c)
            (i32.mul (local.get $cb) (i32.add (i32.mul (local.get $b) (local.get $nl)) (local.get $t))))) (local.get $acc))
          (br_if $dxs (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $nl))))
        (br_if $batch (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $nb))))
      (br_if $chan (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $cb)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; LayerNorm over rows of $c floats ($c a multiple of 4) for host-kernels.ts.

  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; y = (x - mean) rstd w + b
  (func (export "layerNormForward") (param $x i32) (param $w i32) (param $b i32) (param $y i32)
        (param $rows i32) (param $c i32) (param $eps f32)
    (local $row i32) (local $k i32) (local $cb i32) (local $cf f32)
    (local $acc v128) (local $e v128) (local $mean v128) (local $rstd v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $cf (f32.convert_i32_u (local.get $c)))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rows
        ;; mean and 1 / sqrt(var + eps) of the row (two passes, as the JavaScript loops)
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $sum
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (local.get $k)))))
          (br_if $sum (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $mean (f32x4.splat (f32.div (call $hsum (local.get $acc)) (local.get $cf))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $var
          (local.set $e (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mean)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $e) (local.get $e))))
          (br_if $var (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $rstd (f32x4.splat (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (local.get $cf)) (local.get $eps))))))
        (local.set $k (i32.const 0))
        (loop $out
          (v128.store (i32.add (local.get $y) (local.get $k))
            (f32x4.add (v128.load (i32.add (local.get $b) (local.get $k)))
              (f32x4.mul (v128.load (i32.add (local.get $w) (local.get $k)))
                (f32x4.mul (local.get $rstd)
                  (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mean))))))
          (br_if $out (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $y (i32.add (local.get $y) (local.get $cb)))
        (br_if $rows (i32.lt_u (local.tee $row (i32.add (local.get $row) (i32.const 1))) (local.get $rows))))))

  ;; dx = rstd (g w - mean(g w) - xh mean(g w xh)), xh = (x - mean) rstd; dw += g xh, db += g in
  ;; float64 ($dw64, $db64: $c float64 each, accumulated: the caller zeroes them)
  (func (export "layerNormBackward") (param $x i32) (param $w i32) (param $dy i32) (param $dx i32)
        (param $dw64 i32) (param $db64 i32) (param $rows i32) (param $c i32) (param $eps f32)
    (local $row i32) (local $k i32) (local $cb i32) (local $cf f32)
    (local $acc v128) (local $e v128) (local $mean v128) (local $rstd v128)
    (local $g v128) (local $xh v128) (local $gw v128) (local $s1 v128) (local $s2 v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $cf (f32.convert_i32_u (local.get $c)))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rows
        ;; mean and 1 / sqrt(var + eps) of the row (two passes, as the JavaScript loops)
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $sum
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (local.get $k)))))
          (br_if $sum (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $mean (f32x4.splat (f32.div (call $hsum (local.get $acc)) (local.get $cf))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $var
          (local.set $e (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mean)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $e) (local.get $e))))
          (br_if $var (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $rstd (f32x4.splat (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (local.get $cf)) (local.get $eps))))))
        (local.set $s1 (v128.const f32x4 0 0 0 0))
        (local.set $s2 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $sums
          (local.set $g (v128.load (i32.add (local.get $dy) (local.get $k))))
          (local.set $xh (f32x4.mul (local.get $rstd)
            (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mean))))
          (local.set $gw (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $w) (local.get $k)))))
          (local.set $s1 (f32x4.add (local.get $s1) (local.get $gw)))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $gw) (local.get $xh))))
          (call $addF64 (i32.add (local.get $dw64) (i32.shl (local.get $k) (i32.const 1)))
            (f32x4.mul (local.get $g) (local.get $xh)))
          (call $addF64 (i32.add (local.get $db64) (i32.shl (local.get $k) (i32.const 1))) (local.get $g))
          (br_if $sums (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $s1 (f32x4.splat (f32.div (call $hsum (local.get $s1)) (local.get $cf))))
        (local.set $s2 (f32x4.splat (f32.div (call $hsum (local.get $s2)) (local.get $cf))))
        (local.set $k (i32.const 0))
        (loop $out
          (local.set $xh (f32x4.mul (local.get $rstd)
            (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mean))))
          (v128.store (i32.add (local.get $dx) (local.get $k))
            (f32x4.mul (local.get $rstd)
              (f32x4.sub
                (f32x4.sub
                  (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $k)))
                             (v128.load (i32.add (local.get $w) (local.get $k))))
                  (local.get $s1))
                (f32x4.mul (local.get $xh) (local.get $s2)))))
          (br_if $out (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $dx (i32.add (local.get $dx) (local.get $cb)))
        (br_if $rows (i32.lt_u (local.tee $row (i32.add (local.get $row) (i32.const 1))) (local.get $rows))))))
)
