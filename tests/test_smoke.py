async def test_summary_counts_from_rows(client):
    r = await client.get("/api/v1/summary")
    assert r.status_code == 200
    body = r.json()
    assert (body["reviewed"], body["abolished"], body["retained"]) == (173, 164, 9)
    assert body["abolished_rate"] == 0.948
