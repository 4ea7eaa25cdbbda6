//   y[t, :] = x[t, :] * rsqrt(mean(x[t, :]^2) + eps) * w
