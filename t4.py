import sys; sys.path.insert(0,'/tmp/review'); from h import *
rng=np.random.default_rng(7)
def run(name,A,k):
    n=A.shape[0]; p=min(n,2*k+10); tol=max(1e-13,n*2.2e-16/10)
    st,w,Z,wm,it,B,B0=f2(A,k,p,tol,100)
    ev=np.linalg.eigvalsh(A)
    if st==0:
        c=check(A,w,Z,k); print(f"{name:20s} n={n} k={k} it={it} valerr={c['valerr']:.1e} orth={c['orth']:.1e} res={c['res']:.1e} w0={w[0]:.3e} ev0={ev[0]:.3e}")
    else: print(name,n,k,"st",st,"it",it,"restored",np.array_equal(B.view(np.uint64),B0.view(np.uint64)))
for n,K in [(600,200),(600,1000),(800,790),(700,700)]:
    J=rng.standard_normal((n,K))*np.geomspace(1,1e-3,K)
    G=J@J.T; G=(G+G.T)/2
    for k in [1,5,32]: run(f"JJt K={K}",G,k)
