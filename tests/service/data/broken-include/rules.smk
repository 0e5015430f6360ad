samples = ["x"]
threads_default = 1
rule a
    output: "a.txt"
    shell: "touch {output}"
