# The rules: multiples of 3 print Fizz, of 5 Buzz, of both FizzBuzz; others the number.
BEGIN {
    for (i = 1; i <= n; i++) {
        out = ""
        if (i % 3 == 0) out = out "Fizz"
        if (i % 5 == 0) out = out "Buzz"
        print (out == "" ? i : out)
    }
}
