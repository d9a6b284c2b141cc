"""The networks and the count n-gram; `registry` saves and loads every one of them."""
