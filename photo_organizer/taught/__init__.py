"""Albums taught by example: a refined search kept as an album whose predictor sorts new photos."""
