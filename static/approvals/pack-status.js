// While a sign-off pack is queued or being generated, ask the server for its status every
// few seconds and reload the page once it is done (ready or failed). Without JavaScript the
// page offers a "check again" link instead.
const status = document.querySelector('[data-pack-status-url]')
if (status) {
  const url = status.getAttribute('data-pack-status-url')
  const label = status.querySelector('[data-pack-status-label]')
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (response.ok) {
        const body = await response.json()
        if (label && label.textContent !== body.label) {
          label.textContent = body.label
        }
        if (body.done) {
          window.location.reload()
          return
        }
      }
    } catch (error) {
      // A network blip: try again on the next tick.
    }
    window.setTimeout(poll, 2000)
  }
  window.setTimeout(poll, 2000)
}
