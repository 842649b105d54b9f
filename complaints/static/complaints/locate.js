// "Use my location": fills the coordinates from the phone's GPS when the browser offers it.
(function () {
  var button = document.querySelector("[data-locate]");
  if (!button || !navigator.geolocation) return;
  var status = document.querySelector("[data-locate-status]");
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
      status.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
    }, function (err) { status.textContent = err.message; }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
