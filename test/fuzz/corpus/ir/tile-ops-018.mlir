// overhangs the row: its loads are masked with fill 0, so the sum of squares
