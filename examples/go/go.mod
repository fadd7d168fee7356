module example.com/rump

go 1.19
