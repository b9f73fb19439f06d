module switchboard.local/bench

go 1.24
