"""Parsl's tutorial shape: the threads config, python/bash/join apps, futures as dependencies."""
import parsl
from parsl import bash_app, join_app, python_app
from parsl.configs.local_threads import config


@python_app
def square(x):
    return x * x


@python_app
def total(inputs=()):
    return sum(inputs)


@bash_app
def greet(name, stdout=parsl.AUTO_LOGNAME):
    return f"echo hello {name}"


@join_app
def fibonacci(n):
    if n < 2:
        return square(n)
    return total(inputs=[fibonacci(n - 1), fibonacci(n - 2)])


with parsl.load(config):
    squares = [square(i) for i in range(10)]
    print("squares:", [f.result() for f in squares])
    print("sum:", total(inputs=squares).result())
    print("fibonacci(8):", fibonacci(8).result())
    greeting = greet("parsl")
    print("bash exit code:", greeting.result())
    with open(greeting.stdout) as out:
        print("bash stdout:", out.read().strip())
