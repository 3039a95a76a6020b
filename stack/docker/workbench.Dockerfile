# The workbench image: Node 20 for lib/ and the pipelines, Python for JupyterLab and the
# notebook runner, the tslab kernel. Same versions as the native stack (package-lock.json,
# stack/jupyter/requirements.txt).
FROM node:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
ENV K2_CACHE_DIR=/opt/k2-cache K2_STATE_DIR=/var/lib/k2
WORKDIR /workbench
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY stack/jupyter/requirements.txt stack/jupyter/requirements.txt
RUN python3 -m venv $K2_CACHE_DIR/jupyter/venv && $K2_CACHE_DIR/jupyter/venv/bin/pip install --no-cache-dir -r stack/jupyter/requirements.txt
COPY . .
EXPOSE 8888
