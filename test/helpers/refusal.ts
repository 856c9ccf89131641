// What a refused request tells its sender: the status and the problem's stable `code`, so a refusal
// test fails when the right status comes for the wrong reason.
export async function refusal(res: Response): Promise<{ status: number; code: unknown }> {
  const body = (await res.json()) as { code?: unknown };
  return { status: res.status, code: body.code };
}
