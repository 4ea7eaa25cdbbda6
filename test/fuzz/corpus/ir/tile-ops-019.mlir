// is exact, and its stores are masked.
