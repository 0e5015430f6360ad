#!/usr/bin/env nextflow
/*
 * Variant calling on small, deterministic data, step for step what this folder's Snakefile
 * does: simulate a reference and, per sample, reads carrying known SNPs; then FastQC, bwa mem,
 * samtools sort and index, bcftools call, and a summary that checks the calls against the
 * SNPs that were planted. Tasks need python3, bwa, samtools, bcftools and fastqc.
 *
 *   nextflow run workflows/variant-calling -profile local --samples a,b --snps 6
 *
 * Parameters and their defaults are in nextflow.config; they are checked here, with the
 * limits of config.schema.yaml, before any task runs. The helper scripts in scripts/ are
 * staged into each task as inputs, so they reach the task on any executor (an AWS Batch
 * job cannot see the head's project directory).
 */
nextflow.enable.dsl = 2

def wholeNumber(String key, long low, long high) {
    def value = params.get(key)
    if( !(value instanceof Integer || value instanceof Long) || value < low || value > high )
        error "params.${key} must be a whole number from ${low} to ${high}, got ${value}"
    return value
}

def sampleNames() {
    def given = params.samples
    def names = given instanceof List ? given : given.toString().tokenize(',')
    if( !names || names.size() > 50 || names.toSet().size() != names.size() )
        error "params.samples must be 1 to 50 distinct names, got ${given}"
    for( name in names ) {
        if( !(name instanceof CharSequence) || !(name ==~ /[A-Za-z0-9][A-Za-z0-9_-]{0,63}/) )
            error "sample name ${name}: use letters, digits, '_' and '-' (at most 64)"
    }
    return names.collect { it.toString() }
}

def helper(String name) {
    return file("${projectDir}/scripts/${name}", checkIfExists: true)
}

process REFERENCE {
    input:
    path simulator
    val length
    val seed

    output:
    path 'reference.fa'

    script:
    """
    python3 ${simulator} --length ${length} --seed ${seed} --out reference.fa
    """
}

process READS {
    tag "${sample}"

    input:
    val sample
    path reference
    path simulator
    val simulation

    output:
    tuple val(sample), path("${sample}.fastq.gz"), emit: reads
    tuple val(sample), path("${sample}.truth.tsv"), emit: truth

    script:
    """
    python3 ${simulator} --reference ${reference} --sample ${sample} \\
        --reads ${simulation.reads} --read-length ${simulation.read_length} \\
        --snps ${simulation.snps} --seed ${simulation.seed} \\
        --fastq ${sample}.fastq.gz --truth ${sample}.truth.tsv
    """
}

process FASTQC {
    tag "${sample}"
    publishDir "${params.outdir}/qc", mode: 'copy'

    input:
    tuple val(sample), path(reads)

    output:
    tuple val(sample), path("${sample}_fastqc.zip"), emit: zip
    path "${sample}_fastqc.html", emit: html

    script:
    """
    fastqc --quiet --outdir . ${reads}
    """
}

process INDEX_REFERENCE {
    input:
    path reference

    output:
    path "${reference}.{amb,ann,bwt,pac,sa,fai}"

    script:
    """
    bwa index ${reference} 2> /dev/null
    samtools faidx ${reference}
    """
}

process ALIGN {
    tag "${sample}"
    cpus 2

    input:
    tuple val(sample), path(reads)
    path reference
    path index

    output:
    tuple val(sample), path("${sample}.bam"), path("${sample}.bam.bai")

    script:
    """
    bwa mem -t ${task.cpus} -R '@RG\\tID:${sample}\\tSM:${sample}' ${reference} ${reads} 2> /dev/null \\
        | samtools sort -o ${sample}.bam -
    samtools index ${sample}.bam
    """
}

process CALL {
    tag "${sample}"
    publishDir "${params.outdir}/variants", mode: 'copy'

    input:
    tuple val(sample), path(bam), path(bai)
    path reference
    path index

    output:
    tuple val(sample), path("${sample}.vcf")

    script:
    """
    bcftools mpileup --fasta-ref ${reference} --output-type u ${bam} \\
        | bcftools call --ploidy 1 --multiallelic-caller --variants-only \\
            --output-type v --output ${sample}.vcf
    """
}

process SUMMARY {
    publishDir params.outdir, mode: 'copy'

    input:
    val samples
    path truths
    path vcfs
    path reports
    path summarizer

    output:
    path 'variants.json'

    script:
    // The inputs keep the names their processes gave them: SAMPLE.truth.tsv, SAMPLE.vcf,
    // SAMPLE_fastqc.zip; the summary lists the samples in the order they were given.
    def arguments = samples.collect { sample ->
        "--sample ${sample} --truth ${sample}.truth.tsv --vcf ${sample}.vcf --qc ${sample}_fastqc.zip"
    }.join(' ')
    """
    python3 ${summarizer} ${arguments} --out variants.json
    """
}

workflow {
    def samples = sampleNames()
    def simulation = [
        reference_length: wholeNumber('reference_length', 1000, 1000000),
        reads: wholeNumber('reads', 100, 500000),
        read_length: wholeNumber('read_length', 50, 250),
        snps: wholeNumber('snps', 1, 200),
        seed: wholeNumber('seed', 0, 2147483647)
    ]

    REFERENCE(helper('simulate_reference.py'), simulation.reference_length, simulation.seed)
    READS(Channel.fromList(samples), REFERENCE.out, helper('simulate_reads.py'), simulation)
    FASTQC(READS.out.reads)
    INDEX_REFERENCE(REFERENCE.out)
    ALIGN(READS.out.reads, REFERENCE.out, INDEX_REFERENCE.out)
    CALL(ALIGN.out, REFERENCE.out, INDEX_REFERENCE.out)
    SUMMARY(
        samples,
        READS.out.truth.map { sample, truth -> truth }.collect(),
        CALL.out.map { sample, vcf -> vcf }.collect(),
        FASTQC.out.zip.map { sample, report -> report }.collect(),
        helper('summarize.py')
    )
}
