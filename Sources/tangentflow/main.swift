import TangentFlow
print(RuntimeInfo.current.report)
