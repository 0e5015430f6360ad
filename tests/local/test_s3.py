import httpx


def test_put_get_round_trip(s3) -> None:
    s3.put_object(Bucket="batchflow-local", Key="data/reads.fq", Body=b"@r1\nACGT\n+\n!!!!\n")

    body = s3.get_object(Bucket="batchflow-local", Key="data/reads.fq")["Body"].read()
    assert body == b"@r1\nACGT\n+\n!!!!\n"


def test_multipart_upload_reassembles_the_parts(s3) -> None:
    key = "big/object.bin"
    upload = s3.create_multipart_upload(Bucket="batchflow-local", Key=key)
    parts = [b"a" * (5 * 1024 * 1024), b"b" * 1024]
    etags = [
        s3.upload_part(
            Bucket="batchflow-local",
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=part,
        )["ETag"]
        for number, part in enumerate(parts, start=1)
    ]
    s3.complete_multipart_upload(
        Bucket="batchflow-local",
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [{"ETag": etag, "PartNumber": n} for n, etag in enumerate(etags, start=1)]
        },
    )

    head = s3.head_object(Bucket="batchflow-local", Key=key)
    assert head["ContentLength"] == len(parts[0]) + len(parts[1])


def test_presigned_url_works_without_credentials(s3) -> None:
    s3.put_object(Bucket="batchflow-local", Key="shared/report.txt", Body=b"results")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "batchflow-local", "Key": "shared/report.txt"}
    )

    assert httpx.get(url).content == b"results"


def test_list_objects_by_prefix(s3) -> None:
    for name in ("a", "b"):
        s3.put_object(Bucket="batchflow-local", Key=f"listing/{name}.txt", Body=b"x")

    listed = s3.list_objects_v2(Bucket="batchflow-local", Prefix="listing/")
    assert [o["Key"] for o in listed["Contents"]] == ["listing/a.txt", "listing/b.txt"]


def test_jobs_can_use_s3_with_the_credentials_they_are_given(run, s3) -> None:
    script = (
        "python -c \"import boto3; boto3.client('s3').put_object("
        "Bucket='batchflow-local', Key='from-job.txt', Body=b'written by a job')\""
    )
    job = run(script)

    assert job["status"] == "SUCCEEDED"
    body = s3.get_object(Bucket="batchflow-local", Key="from-job.txt")["Body"].read()
    assert body == b"written by a job"
